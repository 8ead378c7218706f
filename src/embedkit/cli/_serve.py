"""``embedkit serve``: the embed service under uvicorn (needs ``embedkit[serve]``).

Starlette and uvicorn are imported when the command runs, never for ``--help``.
The options reach the app (in every worker process) through the environment,
the same variables ``uvicorn embedkit.serve:app`` reads.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import tempfile
from typing import Any

import click

from embedkit._config import env_flag
from embedkit._errors import ConfigError
from embedkit.cli._options import (
    common_options,
    consent_option,
    format_option,
    open_resolver,
    resolver_options,
)
from embedkit.cli._term import echo, echo_json

__all__ = ["serve"]

DEFAULT_PORT = 8150


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _environment(
    options: dict[str, Any],
    consent: bool,
    origins: tuple[str, ...],
    rate_limit: str,
    recheck: float,
) -> dict[str, str]:
    """The variables that tell ``embedkit.serve:app`` (in each worker) what was asked."""
    env: dict[str, str] = {}
    if options["cache_url"]:
        env["EMBEDKIT_CACHE"] = options["cache_url"]
    if options["providers_file"]:
        env["EMBEDKIT_PROVIDERS"] = os.path.abspath(options["providers_file"])
    env["EMBEDKIT_TIMEOUT"] = repr(options["fetch_timeout"])
    env["EMBEDKIT_ALLOW_PRIVATE_NETWORKS"] = "1" if options["allow_private_networks"] else "0"
    offline = options["offline"] or env_flag(os.environ, "EMBEDKIT_SERVE_OFFLINE")
    env["EMBEDKIT_SERVE_OFFLINE"] = "1" if offline else "0"
    env["EMBEDKIT_CONSENT"] = "1" if consent else "0"
    env["EMBEDKIT_SERVE_ALLOW_ORIGINS"] = " ".join(origins)
    env["EMBEDKIT_SERVE_RATE_LIMIT"] = rate_limit
    env["EMBEDKIT_SERVE_RECHECK_SECONDS"] = repr(recheck)
    return env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback is reachable from other "
              "machines: put a reverse proxy with TLS in front.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port to listen on.")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each with its own rate limits; share a Redis cache "
              "so they fetch each post once).")  # fmt: skip
@resolver_options
@consent_option
@click.option("--allow-origin", "origins", multiple=True, metavar="ORIGIN",
              help="A browser origin allowed to call the service (CORS), e.g. "
              "https://cms.example.com; repeat for more. Default: none. "
              "[env: EMBEDKIT_SERVE_ALLOW_ORIGINS, space-separated]")  # fmt: skip
@click.option("--rate-limit", metavar="RATE", envvar="EMBEDKIT_SERVE_RATE_LIMIT",
              default="300/minute", show_default=True,
              help="Requests per client address and process, as N/second, N/minute or "
              "N/hour, or 'off'. [env: EMBEDKIT_SERVE_RATE_LIMIT]")  # fmt: skip
@click.option("--recheck", metavar="SECONDS", envvar="EMBEDKIT_SERVE_RECHECK_SECONDS",
              type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Answer a post served from the cache from memory for this long before "
              "reading the cache again (a refresh or purge by another process shows "
              "within it); 0 reads the cache for every request. "
              "[env: EMBEDKIT_SERVE_RECHECK_SECONDS]")  # fmt: skip
@click.option("--forwarded-allow-ips", metavar="IPS",
              help="Trust X-Forwarded-For/-Proto from these proxy addresses "
              "(comma-separated), so rate limits see the real client. "
              "Default: trust none.")  # fmt: skip
@click.option("--access-log", is_flag=True, help="Log every request (uvicorn's access log).")
@click.option("--check", is_flag=True,
              help="Check the configuration (options, cache, providers file, templates) "
              "and exit without serving.")  # fmt: skip
@format_option(
    "text: one line on stderr saying where it listens; json: that as one object on stdout "
    '({"listening": URL, "workers": N, "checked": BOOL}).'
)
@common_options()
def serve(
    host: str,
    port: int,
    workers: int,
    consent: bool,
    origins: tuple[str, ...],
    rate_limit: str,
    recheck: float,
    forwarded_allow_ips: str | None,
    access_log: bool,
    check: bool,
    fmt: str,
    **options: Any,
) -> None:
    """Run the embed service: an oEmbed provider for any CMS, over HTTP.

    \b
    GET  /oembed?url=URL    oEmbed 1.0 JSON (sanitized html or static fallback)
    GET  /embed?url=URL     the HTML fragment
    POST /render            an HTML/Markdown body with its URLs as embeds
    GET  /providers/match?url=URL, /healthz, /metrics, /openapi.json

    It listens on loopback unless --host says otherwise. Several processes or
    hosts on one Redis cache (--cache redis://...) make one upstream request per
    post between them. See docs/serve.md.
    """
    try:
        import uvicorn

        from embedkit.serve._settings import ServeSettings, parse_rate_limit
    except ImportError as exc:
        raise ConfigError(
            f"embedkit serve needs the serve extra ({exc.name} is missing): "
            "pip install 'embedkit[serve]'"
        ) from exc
    if not origins:
        env_origins = os.environ.get("EMBEDKIT_SERVE_ALLOW_ORIGINS", "")
        origins = tuple(env_origins.replace(",", " ").split())
    ServeSettings(  # validate
        allow_origins=origins, rate_limit=parse_rate_limit(rate_limit), recheck_seconds=recheck
    )
    with open_resolver(**options):  # a bad cache URL or providers file fails here, once
        pass
    os.environ.update(_environment(options, consent, origins, rate_limit, recheck))
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = tempfile.mkdtemp(prefix="embedkit-metrics-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    shown_host = f"[{host}]" if ":" in host else host
    listening = f"http://{shown_host}:{port}"
    if fmt == "json":
        echo_json({"listening": listening, "workers": workers, "checked": check})
    else:
        where = "" if _is_loopback(host) else ", reachable from other machines"
        verb = "would listen" if check else "listening"
        echo(f"embedkit serve: {verb} on {listening}{where} ({workers} worker(s))", err=True)
    if check:
        return
    uvicorn.run(
        "embedkit.serve:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=access_log,
        server_header=False,
        log_level="info" if access_log else "warning",
    )
