"""Python-Markdown: the extension, its options, and the one code path with render_html."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import markdown
import pytest
from tests.contrib.project import doc_block
from tests.simulator import ProviderSimulator

from embedkit import ConfigError, Resolver, render_html
from embedkit.contrib.markdown import EmbedkitExtension

EXT = "embedkit.contrib.markdown"
WIDGETS = "https://platform.twitter.com/widgets.js"
TWEET = "https://x.com/ndaidong/status/1173592062878314497"
REUTERS = "https://twitter.com/Reuters/status/1636212467429621760"
VIDEO = "https://www.youtube.com/watch?v=qQpb1oCernE"


def script_srcs(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)


@pytest.fixture
def sim_env(simulator: ProviderSimulator, tmp_path: Path) -> dict[str, str]:
    return {
        "EMBEDKIT_PROVIDERS": str(simulator.providers_file(tmp_path)),
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
        "EMBEDKIT_CACHE": "memory://",
    }


@pytest.fixture
def live(simulator: ProviderSimulator, tmp_path: Path) -> Iterator[Resolver]:
    providers = simulator.providers_file(tmp_path)
    with Resolver(cache="memory://", providers=providers, allow_private_networks=True) as r:
        yield r


def convert(text: str, **config: Any) -> str:
    html: str = markdown.markdown(text, extensions=[EXT], extension_configs={EXT: config})
    return html


def test_the_documented_example_runs() -> None:
    exec(doc_block("markdown.md", "markdown-python"), {})


def test_standalone_urls_become_embeds_with_scripts_once(live: Resolver) -> None:
    text = f"Intro.\n\n{TWEET}\n\n<{REUTERS}>\n\nWatch {VIDEO} later.\n\n    {TWEET}\n"
    html = convert(text, resolver=live)
    assert "Live event: Release Lotus" in html
    assert "LIVE: Japanese Prime Minister Fumio Kishida" in html
    assert f"<p>Watch {VIDEO} later.</p>" in html  # inside text: left alone
    assert f"<pre><code>{TWEET}\n</code></pre>" in html  # code: left alone
    assert script_srcs(html) == [WIDGETS]
    assert html.endswith(f'<script async src="{WIDGETS}" charset="utf-8"></script>')


@pytest.mark.parametrize(
    "text",
    [
        f"{TWEET}\n",
        f"A paragraph.\n\n{VIDEO}\n\nAnother.\n\n{REUTERS}\n",
        f"* {TWEET}\n* two\n",
        f"> {TWEET}\n",
        f"<div>\n{TWEET}\n</div>\n",
        f"<{TWEET}>\n",
        "No URL at all.\n",
    ],
)
def test_the_same_rule_and_code_as_render_html(live: Resolver, text: str) -> None:
    """The extension's output is render_html over Python-Markdown's own output.

    (Python-Markdown strips the document it returns; the cache is warmed first
    so that both see "cached" embeds.)
    """
    plain = markdown.markdown(text)
    render_html(plain, live)
    assert convert(text, resolver=live) == render_html(plain, live).strip()


def test_options_left_out_come_from_the_environment(
    sim_env: dict[str, str], simulator: ProviderSimulator
) -> None:
    html = convert(f"{TWEET}\n", env={**sim_env, "EMBEDKIT_CONSENT": "1"})
    assert "data-embedkit-load" in html  # consent mode, from EMBEDKIT_CONSENT
    assert script_srcs(html) == ["embedkit-consent.js"]
    assert simulator.count("/twitter/oembed") == 1  # EMBEDKIT_PROVIDERS: the simulator
    explicit = convert(
        f"{TWEET}\n", env=sim_env, consent=False, consent_script_url="/assets/consent.js"
    )
    assert script_srcs(explicit) == [WIDGETS]


def test_markdown_instances_with_the_same_options_share_one_resolver(
    sim_env: dict[str, str], simulator: ProviderSimulator
) -> None:
    for _ in range(3):  # MkDocs makes a Markdown per page
        assert "Live event" in convert(f"{TWEET}\n", env=sim_env, timeout=4)
    assert simulator.count("/twitter/oembed") == 1  # one memory:// cache for all three


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"cahce": "memory://"}, "embedkit.contrib.markdown: unknown option 'cahce' (known: "),
        ({"timeout": "soon"}, "embedkit.contrib.markdown: timeout must be a number of seconds"),
        ({"consent": "maybe"}, "embedkit.contrib.markdown: consent must be true or false, not"),
        ({"template_dirs": 3}, "embedkit.contrib.markdown: template_dirs must be a list of"),
        ({"resolver": "r"}, "embedkit.contrib.markdown: resolver must be an embedkit.Resolver"),
    ],
)
def test_a_bad_option_is_one_line(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EmbedkitExtension(**config)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_the_markdown_body_is_cleaned_unless_trusted() -> None:
    text = "Hi <script>alert(1)</script> [x](javascript:alert(2))\n"
    config = {"cache": "memory://", "offline": True}
    cleaned = markdown.markdown(
        text,
        extensions=["embedkit.contrib.markdown"],
        extension_configs={"embedkit.contrib.markdown": config},
    )
    trusted = markdown.markdown(
        text,
        extensions=["embedkit.contrib.markdown"],
        extension_configs={"embedkit.contrib.markdown": {**config, "trusted_body": True}},
    )
    assert "alert(" not in cleaned
    assert "<script>alert(1)</script>" in trusted
