"""Secrets never reach logs or messages: one mask, one rule, one filter.

The CLI tests run the real ``embedkit`` command in a subprocess against the
provider simulator, with a Meta app token in the environment and a provider
that echoes the token back in every form it can (percent-encoded, base64,
upper-case) — then read stderr at ``-v``, ``-vv`` and ``-vvv``.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import logging
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.simulator import ProviderSimulator, Reply

import embedkit
from embedkit._redaction import (
    MASK,
    THIRD_PARTY_LOGGERS,
    RedactingFilter,
    is_secret_name,
    redact,
    redact_url,
)

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "1234567890|aBcD-eFgH_iJkL/mN+o="


def forms(secret: str) -> dict[str, str]:
    """Every way a secret gets echoed back that the redaction must catch."""
    raw = secret.encode()
    return {
        "plain": secret,
        "percent": quote(secret, safe=""),
        "percent, lower-case hex": quote(secret, safe="").lower(),
        "plus": quote_plus(secret),
        "twice percent-encoded": quote(quote(secret, safe=""), safe=""),
        "upper-case": secret.upper(),
        "lower-case": secret.lower(),
        "base64": base64.b64encode(raw).decode(),
        "urlsafe base64": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "base64 after one byte": base64.b64encode(b"u" + raw).decode(),
        "base64 after two bytes": base64.b64encode(b"us" + raw).decode(),
        "basic auth": base64.b64encode(b"user:" + raw).decode(),
    }


# -- the pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(("form", "text"), sorted(forms(TOKEN).items()))
def test_every_form_of_a_configured_secret_is_masked(form: str, text: str) -> None:
    line = f"GET https://graph.example/oembed?echo={text}&x=1 answered {text}"
    masked = redact(line, secrets=[TOKEN])
    assert text not in masked
    assert MASK in masked


@pytest.mark.parametrize(("form", "text"), sorted(forms(TOKEN).items()))
def test_secrets_in_the_environment_are_masked_without_being_named(form: str, text: str) -> None:
    masked = redact(f"echo: [{text}]", env={"EMBEDKIT_META_TOKEN": TOKEN, "HOME": "/root"})
    assert text not in masked


@given(
    secret=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=6,
        max_size=40,
    ).filter(lambda s: s.strip() == s),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_no_form_of_any_secret_survives(secret: str, before: str, after: str) -> None:
    for text in forms(secret).values():
        if len(text) < 6:
            continue
        assert text not in redact(f"{before}{text}{after}", secrets=[secret])


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("access_token", True), ("token", True), ("api_key", True), ("apiKey", True),
        ("X-Api-Key", True), ("key", True), ("client_secret", True), ("password", True),
        ("passwd", True), ("oauth_signature", True), ("oauth_consumer_key", True),
        ("sig", True), ("Authorization", True), ("access%5Ftoken", True), ("TOKEN", True),
        ("keyword", False), ("author", False), ("url", False), ("maxwidth", False),
        ("passage", False), ("monkey", False), ("format", False), ("oauth_nonce", False),
    ],
)  # fmt: skip
def test_one_rule_for_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://g.test/o?url=u&access_token=1|abc", "https://g.test/o?url=u&access_token=***"),
        ("https://a.test/?token=t&key=k&apiKey=a", "https://a.test/?token=***&key=***&apiKey=***"),
        (
            "https://a.test/?Secret=s;password=p#frag",
            "https://a.test/?Secret=***;password=***#frag",
        ),
        ("https://a.test/?keyword=kept&url=x", "https://a.test/?keyword=kept&url=x"),
        ("redis://:hunter2@h:6379/0", "redis://:***@h:6379/0"),
        (
            "rediss://app:hunter2@h/1?password=x&prefix=a",
            "rediss://app:***@h/1?password=***&prefix=a",
        ),
        ("redis://hunter2@h/1", "redis://***@h/1"),
        ("https://a.test/plain", "https://a.test/plain"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer AAAA1234secret", "AAAA1234secret"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
        ('{"access_token": "tok-42-xyz"}', "tok-42-xyz"),
        ('oauth_signature="sig%2Fvalue", oauth_token="tk-123"', "tk-123"),
        ("Signature: Zm9vYmFyYmF6cXV4", "Zm9vYmFyYmF6cXV4"),
        ("see https://user:pa55word@host.test/x", "pa55word"),
        ("post?api_key=shhh&text=hi", "shhh"),
    ],
)
def test_secret_looking_values_are_masked_without_being_configured(text: str, hidden: str) -> None:
    assert hidden not in redact(text, secrets=())


@pytest.mark.parametrize(
    "text",
    [
        "cache key: https://x.com/a status=fresh",
        "basic settings were used",
        "author=Reuters keyword=kyoto maxwidth=550",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text, secrets=()) == text


@pytest.mark.parametrize(
    "unit", ["a" * 7 + "=", "key=", '"k": "', "//a:", "Bearer ", "x" * 64 + ":"]
)
def test_redaction_grows_linearly(unit: str) -> None:
    import time

    def seconds(text: str) -> float:
        best = float("inf")
        for _ in range(7):
            started = time.process_time()
            redact(text, secrets=[TOKEN])
            best = min(best, time.process_time() - started)
        return best

    n = 20_000 // len(unit)
    assert seconds(unit * 2 * n) / seconds(unit * n) < 3.0


# -- the filter ------------------------------------------------------------------------------------


def _capture(logger: logging.Logger) -> tuple[io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    handler.addFilter(RedactingFilter(env={"EMBEDKIT_META_TOKEN": TOKEN}))
    logger.addHandler(handler)
    return stream, handler


def test_the_filter_masks_messages_arguments_exceptions_and_stacks() -> None:
    logger = logging.getLogger("embedkit.tests.redaction")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    stream, handler = _capture(logger)
    try:
        logger.info("GET %s", f"https://g.test/o?access_token={quote(TOKEN, safe='')}")
        try:
            raise ValueError(f"the server said {TOKEN.upper()}")
        except ValueError:
            logger.exception("failed with %r", {"token": TOKEN})
        logger.warning("stack", stack_info=True, extra={"x": 1})
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for text in forms(TOKEN).values():
        assert text not in out
    assert "access_token=***" in out
    assert "ValueError" in out


def test_every_embedkit_logger_carries_the_filter() -> None:
    for module in pkgutil.walk_packages(embedkit.__path__, "embedkit."):
        importlib.import_module(module.name)
    loggers = {
        name: logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.startswith("embedkit.")
        and not name.startswith("embedkit.tests")
        and isinstance(logger, logging.Logger)
    }
    assert "embedkit.resolver" in loggers
    for name, logger in loggers.items():
        assert any(isinstance(f, RedactingFilter) for f in logger.filters), name


def test_oauth_parameters_logged_by_oauthlib_are_masked(simulator: ProviderSimulator) -> None:
    """OAuth 1 signing through requests_oauthlib, to a real local server, with debug logs."""
    import requests
    from requests_oauthlib import OAuth1

    simulator.route("/2/tweets", body={"data": {"id": "1"}}, method="POST")
    root = logging.getLogger()
    stream, handler = _capture(root)
    old_level = root.level
    held = {name: logging.getLogger(name).level for name in ("oauthlib", "requests_oauthlib")}
    root.setLevel(logging.DEBUG)
    for name in held:
        logging.getLogger(name).setLevel(logging.DEBUG)
    secrets = {
        "EMBEDKIT_X_API_KEY": "consumer-key-abc123",
        "EMBEDKIT_X_API_SECRET": "consumer-secret-def456",
        "EMBEDKIT_X_ACCESS_TOKEN": "12345-access-token-ghi789",
        "EMBEDKIT_X_ACCESS_SECRET": "access-secret-jkl012",
    }
    handler.filters[0] = RedactingFilter(env=secrets)
    try:
        auth = OAuth1(
            secrets["EMBEDKIT_X_API_KEY"],
            secrets["EMBEDKIT_X_API_SECRET"],
            secrets["EMBEDKIT_X_ACCESS_TOKEN"],
            secrets["EMBEDKIT_X_ACCESS_SECRET"],
        )
        requests.post(simulator.url("/2/tweets"), json={"text": "hi"}, auth=auth, timeout=5)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in held.items():
            logging.getLogger(name).setLevel(level)
    out = stream.getvalue()
    assert "oauthlib" in out  # the libraries did log, at debug level
    signature = simulator.last("/2/tweets").headers["authorization"].split('oauth_signature="')[1]
    for value in [*secrets.values(), signature.split('"')[0]]:
        for text in forms(value).values():
            assert text not in out


@pytest.mark.parametrize(
    ("verbosity", "env", "shown"),
    [
        (1, {}, {"embedkit.resolver:info", "httpx:warning", "oauthlib.oauth1:warning"}),
        (2, {}, {"embedkit.resolver:info", "httpx:warning", "oauthlib.oauth1:warning"}),
        (3, {}, {"embedkit.resolver:info", "httpx:debug", "httpx:info", "httpx:warning",
                 "oauthlib.oauth1:debug", "oauthlib.oauth1:info", "oauthlib.oauth1:warning"}),
        (1, {"EMBEDKIT_LOG_THIRD_PARTY": "1"}, {"embedkit.resolver:info", "httpx:info",
                                                 "httpx:warning", "oauthlib.oauth1:info",
                                                 "oauthlib.oauth1:warning"}),
    ],
)  # fmt: skip
def test_the_cli_holds_third_party_lines_below_warning_unless_asked(
    verbosity: int, env: dict[str, str], shown: set[str]
) -> None:
    code = (
        "import logging, sys\n"
        "from embedkit.cli._main import setup_logging\n"
        "setup_logging(verbose=int(sys.argv[1]))\n"
        "for name in ('embedkit.resolver', 'httpx', 'oauthlib.oauth1'):\n"
        "    for level in ('debug', 'info', 'warning'):\n"
        "        getattr(logging.getLogger(name), level)('%s:%s', name, level)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(verbosity)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    lines = {line.split()[-1] for line in done.stderr.splitlines()}
    assert lines - {"embedkit.resolver:debug", "embedkit.resolver:warning"} == shown
    assert ("embedkit.resolver:debug" in lines) is (verbosity >= 2)
    assert {"httpx", "oauthlib", "tweepy", "urllib3"} <= set(THIRD_PARTY_LOGGERS)


# -- through the real CLI ---------------------------------------------------------------


@pytest.fixture
def echoing_meta(simulator: ProviderSimulator, tmp_path: Path) -> Path:
    """A Meta-style provider: the token goes in the query, and the answer echoes it back."""
    echoes = forms(TOKEN)
    query = "&".join(f"e{i}={quote(text, safe='')}" for i, text in enumerate(echoes.values()))
    simulator.route(
        "/graph/instagram_oembed",
        handler=lambda _request: Reply(302, b"", {"Location": f"/graph/next?{query}"}, None),
    )
    simulator.route(
        "/graph/next",
        handler=lambda _request: Reply(500, json.dumps({"error": TOKEN}).encode()),
    )
    entry = {
        "provider_name": "Instagram",
        "provider_url": "https://instagram.com",
        "endpoints": [
            {
                "schemes": ["https://www.instagram.com/p/*"],
                "url": simulator.url("/instagram/oembed"),
                "token_env": "EMBEDKIT_META_TOKEN",
                "token_url": simulator.url("/graph/instagram_oembed"),
            }
        ],
    }
    path = tmp_path / "providers.json"
    path.write_text(json.dumps([entry]))
    return path


@pytest.mark.parametrize("verbosity", ["-v", "-vv", "-vvv"])
def test_the_meta_token_never_reaches_stderr_at_any_verbosity(
    simulator: ProviderSimulator, echoing_meta: Path, verbosity: str
) -> None:
    env = {
        **os.environ,
        "EMBEDKIT_META_TOKEN": TOKEN,
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
        "EMBEDKIT_CACHE": "memory://",
    }
    done = subprocess.run(
        [sys.executable, "-m", "embedkit", verbosity, "resolve", "--format", "json",
         "--providers", str(echoing_meta), "https://www.instagram.com/p/Cq1xyz/"],
        capture_output=True, text=True, env=env, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert simulator.count("/graph/next") == 1  # the token was sent, and echoed back
    assert simulator.last("/graph/instagram_oembed").query["access_token"] == TOKEN
    for form, text in forms(TOKEN).items():
        assert text not in done.stderr, form
    assert "provider trouble" in done.stderr  # embedkit's own info line is there...
    # ...and at -vv and -vvv the client's line for each request, its URL masked
    wire = re.findall(r"^debug +GET (\S+): \d{3}, \d+ bytes$", done.stderr, re.MULTILINE)
    assert bool(wire) is (verbosity != "-v"), done.stderr
    assert wire == [] or all("/graph/" in url and "=***" in url for url in wire), wire
