"""No pasted URL and no provider answer chooses a script host (issue 8, item 1).

The reproducer: a URL shaped like a Mastodon post on a host the author chose, whose
"instance" answers with ``<script src="https://evil.example/embed.js">``. It used to
put that script on the page (and, in consent mode, into the consent script's allow
list, loaded with the page's CSP nonce). So did a *discovered* answer that called
itself ``"provider_name": "Mastodon"``. Here ``evil.example`` resolves to the provider
simulator through the DNS seam (``HttpClient(dns=...)``), so the requests really go
over a socket to a host named ``evil.example``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.simulator import ProviderSimulator

from embedkit import Resolver, render_html
from embedkit.net._http import HttpClient

EVIL_SCRIPT = "https://evil.example/embed.js"
NONCE = "bm9uY2U"


def _evil_answer(sim: ProviderSimulator, **extra: Any) -> dict[str, Any]:
    html = (
        '<blockquote class="mastodon-embed">toot</blockquote>'
        f'<script src="{EVIL_SCRIPT}"></script>'
        '<script async src="https://evil.example:443/embed.js"></script>'
        f'<script src="//evil.example/embed.js"></script>'
        f'<script src="{sim.base_url.replace("127.0.0.1", "evil.example")}/embed.js"></script>'
        '<script src="https://platform.twitter.com/widgets.js"></script>'
    )
    return {"type": "rich", "version": "1.0", "html": html, **extra}


@pytest.fixture
def evil_http() -> Iterator[HttpClient]:
    """Every host name resolves to 127.0.0.1, where the simulator listens."""
    with HttpClient(
        timeout=2.0, allow_private_networks=True, dns=lambda host, port: ["127.0.0.1"]
    ) as http:
        yield http


def _resolver(http: HttpClient, *, consent: bool, **kw: Any) -> Resolver:
    return Resolver(cache="memory://", http=http, consent=consent, env={}, **kw)


def _scripts_on_page(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", page)


def _consent_allow_list(page: str) -> list[str]:
    found = re.search(r'data-embedkit-allow="([^"]*)"', page)
    assert found is not None, page
    allowed: list[str] = json.loads(found.group(1).replace("&quot;", '"'))
    return allowed


def _figure_scripts(page: str) -> list[str]:
    found = re.search(r'data-embedkit-scripts="([^"]*)"', page)
    assert found is not None, page
    scripts: list[str] = json.loads(found.group(1).replace("&quot;", '"'))
    return scripts


@pytest.mark.parametrize("trusted", [(), ("evil.example",)])
@pytest.mark.parametrize("consent", [False, True])
def test_a_mastodon_shaped_url_on_any_host_gets_no_script(
    simulator: ProviderSimulator, evil_http: HttpClient, consent: bool, trusted: tuple[str, ...]
) -> None:
    simulator.route("/api/oembed", body=_evil_answer(simulator, provider_name="Mastodon"))
    url = f"http://evil.example:{simulator.port}/@x/1"
    with _resolver(evil_http, consent=consent, trusted_mastodon_instances=trusted) as r:
        embed = r.resolve(url)
        page = render_html(f"<html><body>\n<p>{url}</p>\n</body></html>", r, nonce=NONCE)
    assert simulator.count("/api/oembed") == 1  # the instance was asked...
    assert embed.status == "fresh"
    assert embed.provider == "Mastodon"
    assert "toot" in page  # ...its sanitized blockquote is shown...
    assert embed.scripts == ()  # ...but none of its scripts
    assert "evil.example/embed.js" not in page.replace(url, "")
    assert "embed.js" not in " ".join(_scripts_on_page(page))
    assert "platform.twitter.com" not in page  # the Mastodon policy knows no X script
    if consent:
        assert _consent_allow_list(page) == []
        assert _figure_scripts(page) == []
        assert all(f'nonce="{NONCE}"' in tag for tag in _scripts_on_page(page))
        assert [tag for tag in _scripts_on_page(page) if "src=" in tag] == [
            tag for tag in _scripts_on_page(page) if "embedkit-consent.js" in tag
        ]
    else:
        assert _scripts_on_page(page) == []


@pytest.mark.parametrize("claimed", ["Mastodon", "Twitter", "YouTube", "Instagram"])
@pytest.mark.parametrize("consent", [False, True])
def test_a_discovered_answer_never_chooses_its_policy_by_name(
    simulator: ProviderSimulator, evil_http: HttpClient, consent: bool, claimed: str
) -> None:
    answer = _evil_answer(simulator, provider_name=claimed)
    answer["html"] += (
        '<iframe src="https://www.youtube.com/embed/x"></iframe>'
        '<blockquote class="twitter-tweet"><p>tweet</p></blockquote>'
    )
    simulator.route("/evil/oembed", body=answer)
    page_url = simulator.discovery_page("/article", "/evil/oembed")
    with _resolver(evil_http, consent=consent) as r:
        embed = r.resolve(page_url)
        page = render_html(f"<html><body>\n<p>{page_url}</p>\n</body></html>", r, nonce=NONCE)
    assert embed.status == "fresh"
    assert embed.provider == claimed  # the name is shown as the answer gave it...
    assert embed.scripts == ()  # ...but it selects nothing: the strict default policy
    assert "www.youtube.com/embed" not in embed.html  # not YouTube's iframe hosts either
    assert "embed.js" not in " ".join(_scripts_on_page(page))
    assert "widgets.js" not in " ".join(_scripts_on_page(page))
    if consent:
        assert _consent_allow_list(page) == []


def test_a_trusted_instance_is_the_publishers_choice_not_the_urls(tmp_path: Path) -> None:
    """The environment names the instances; junk there is a clear configuration error."""
    from embedkit._errors import ConfigError

    r = Resolver(
        cache="memory://", env={"EMBEDKIT_TRUSTED_MASTODON_INSTANCES": "a.example b.example"}
    )
    assert r.platform_settings.trusted_mastodon_instances == {"a.example", "b.example"}
    r.close()
    with pytest.raises(ConfigError, match="EMBEDKIT_TRUSTED_MASTODON_INSTANCES"):
        Resolver(cache="memory://", env={"EMBEDKIT_TRUSTED_MASTODON_INSTANCES": "not a host!"})
    explicit = Resolver(
        cache="memory://",
        trusted_mastodon_instances=["c.example"],
        env={"EMBEDKIT_TRUSTED_MASTODON_INSTANCES": "a.example"},
    )
    assert explicit.platform_settings.trusted_mastodon_instances == {"c.example"}
    explicit.close()
