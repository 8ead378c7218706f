"""The Jinja2 extension: ``{{ url | embed }}`` and ``{{ embed_scripts() }}``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest

from embedkit import Resolver
from embedkit._errors import ConfigError
from embedkit.contrib.jinja import EmbedExtension

TWEET = "https://twitter.com/Reuters/status/1636212467429621760"
VIDEO = "https://www.youtube.com/watch?v=qQpb1oCernE"
WIDGETS_TAG = (
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n'
)


def make_env(resolver: Resolver | None, templates: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(
        extensions=[EmbedExtension],
        loader=jinja2.DictLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.embedkit_resolver = resolver  # type: ignore[attr-defined]
    return env


@pytest.fixture
def live(sim_providers: Path) -> Iterator[Resolver]:
    with Resolver(cache="memory://", providers=sim_providers, allow_private_networks=True) as r:
        yield r


@pytest.fixture
def offline() -> Iterator[Resolver]:
    with Resolver(cache="memory://", offline=True) as r:
        yield r


def test_the_filter_returns_the_embed_as_markup(live: Resolver) -> None:
    env = make_env(live, {})
    result = env.from_string("{{ url | embed(maxwidth=550) }}").render(url=TWEET)
    assert result.startswith('<figure class="embedkit')
    assert '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">LIVE: Japanese' in result
    assert "&lt;" not in result  # Markup: autoescaping leaves it as is


def test_parameters_reach_the_provider(live: Resolver, simulator) -> None:  # type: ignore[no-untyped-def]
    env = make_env(live, {})
    env.from_string("{{ url | embed(maxwidth=325, theme='dark') }}").render(url=TWEET)
    request = simulator.last("/twitter/oembed")
    assert request.query["maxwidth"] == "325"
    assert request.query["theme"] == "dark"


def test_embed_scripts_emits_each_script_once_after_the_embeds(live: Resolver) -> None:
    env = make_env(
        live,
        {
            "page.html": "{{ a | embed }}{{ b | embed }}{{ c | embed }}\n[{{ embed_scripts() }}]",
        },
    )
    page = env.get_template("page.html").render(a=TWEET, b=TWEET.replace("twitter", "x"), c=VIDEO)
    assert page.count("<blockquote") == 2
    assert page.endswith(f"[{WIDGETS_TAG}]")


def test_embed_scripts_takes_a_nonce_and_never_repeats_a_script(live: Resolver) -> None:
    env = make_env(
        live, {"p.html": "{{ a | embed }}{{ embed_scripts(nonce='n&1') }}|{{ embed_scripts() }}"}
    )
    page = env.get_template("p.html").render(a=TWEET)
    head, tail = page.rsplit("|", 1)
    assert head.endswith(
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"'
        ' nonce="n&amp;1"></script>\n'
    )
    assert tail == ""


def test_scripts_are_collected_per_render(live: Resolver) -> None:
    env = make_env(live, {"p.html": "{% if u %}{{ u | embed }}{% endif %}[{{ embed_scripts() }}]"})
    template = env.get_template("p.html")
    assert template.render(u=TWEET).endswith(f"[{WIDGETS_TAG}]")
    assert template.render(u="") == "[]"


def test_concurrent_renders_do_not_share_scripts(live: Resolver) -> None:
    env = make_env(live, {"p.html": "{% if u %}{{ u | embed }}{% endif %}[{{ embed_scripts() }}]"})
    template = env.get_template("p.html")
    live.resolve(TWEET)  # warm the cache so both threads render quickly
    barrier = threading.Barrier(2)
    results: dict[str, list[str]] = {"tweet": [], "none": []}

    def render(name: str, url: str) -> None:
        for _ in range(30):
            barrier.wait()
            results[name].append(template.render(u=url))

    threads = [
        threading.Thread(target=render, args=("tweet", TWEET)),
        threading.Thread(target=render, args=("none", "")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results["none"]) == {"[]"}
    assert all(page.endswith(f"[{WIDGETS_TAG}]") for page in results["tweet"])
    assert len(results["tweet"]) == 30


def test_included_templates_share_their_page_collection(live: Resolver) -> None:
    env = make_env(
        live,
        {
            "post.html": "<div>{{ url | embed }}</div>",
            "page.html": "{% include 'post.html' %}\n{{ embed_scripts() }}",
        },
    )
    page = env.get_template("page.html").render(url=TWEET)
    assert page.endswith(WIDGETS_TAG)


def test_an_invalid_reference_is_left_as_escaped_text(offline: Resolver) -> None:
    env = make_env(offline, {})
    bad = 'https://user:pw@example.com/<x>"'
    assert env.from_string("{{ u | embed }}").render(u=bad) == (
        "https://user:pw@example.com/&lt;x&gt;&#34;"
    )


def test_none_and_empty_embed_nothing(offline: Resolver) -> None:
    env = make_env(offline, {})
    assert env.from_string("[{{ a | embed }}][{{ b | embed }}]").render(a=None, b="") == "[][]"


def test_offline_the_filter_gives_the_static_fallback(offline: Resolver) -> None:
    env = make_env(offline, {})
    html = env.from_string("{{ u | embed }}{{ embed_scripts() }}").render(u=TWEET)
    assert "A post on X" in html
    assert "March 16, 2023" in html
    assert "<script" not in html


def test_consent_mode_emits_only_the_consent_script(sim_providers: Path) -> None:
    with Resolver(
        cache="memory://", providers=sim_providers, allow_private_networks=True, consent=True
    ) as r:
        env = make_env(r, {"p.html": "{{ u | embed }}{{ embed_scripts(nonce='abc') }}"})
        env.embedkit_consent_script_url = "/static/embedkit-consent.js"  # type: ignore[attr-defined]
        page = env.get_template("p.html").render(u=TWEET)
    assert "data-embedkit-scripts" in page
    assert page.endswith(
        '<script src="/static/embedkit-consent.js" defer nonce="abc" data-embedkit-allow='
        '"[&quot;https://platform.twitter.com/widgets.js&quot;]"></script>\n'
    )
    assert page.count("<script") == 1


def test_the_filter_without_a_resolver_says_how_to_configure_it() -> None:
    env = make_env(None, {})
    with pytest.raises(ConfigError, match="embedkit_resolver"):
        env.from_string("{{ u | embed }}").render(u=TWEET)


def test_it_works_on_the_resolvers_own_environment(offline: Resolver) -> None:
    offline.environment.add_extension(EmbedExtension)
    offline.environment.embedkit_resolver = offline  # type: ignore[attr-defined]
    result = offline.environment.from_string("{{ u | embed }}").render(u=TWEET)
    assert result.startswith('<figure class="embedkit')
    assert "A post on X" in result
