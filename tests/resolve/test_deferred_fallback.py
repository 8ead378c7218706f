"""A live embed's static fallback is rendered when it is first read, and is then a field.

Rendering the fallback (the post's text read out of the provider's markup, two
templates) cost as much as sanitizing the embed, for a fallback most pages never
read. The embed must still behave as if ``fallback_html`` were an ordinary field:
the same text whenever it is read, in equality, ``repr``, pickling, copies,
``dataclasses.replace`` and ``asdict``, from any thread.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.simulator import ProviderSimulator

from embedkit import Embed, Resolver
from embedkit._models import fallback_length

POST = "https://x.com/Reuters/status/1636212467429621760"


@pytest.fixture
def resolver(simulator: ProviderSimulator, tmp_path: Path) -> Iterator[Resolver]:
    providers = simulator.providers_file(tmp_path, names=("Twitter",))
    with Resolver(cache="memory://", providers=providers, env={}, timeout=1) as made:
        yield made


def _fresh(resolver: Resolver) -> Embed:
    embed = resolver.resolve(POST)
    assert embed.status == "fresh"
    return embed


def test_the_fallback_of_a_live_embed_is_rendered_on_first_read(resolver: Resolver) -> None:
    embed = _fresh(resolver)
    assert fallback_length(embed, -1) == -1  # not rendered by resolving
    fallback = embed.fallback_html
    assert fallback_length(embed, -1) == len(fallback)
    assert 'class="embedkit embedkit--x embedkit--fallback"' in fallback
    assert 'data-embedkit-status="fresh"' in fallback
    assert "Kishida" in fallback  # the post's own text, read from the provider's markup
    assert "@Reuters" in fallback
    assert "<script" not in fallback
    assert "<script" in embed.html or embed.scripts  # the live embed is not the fallback
    assert embed.fallback_html is fallback  # rendered once


def test_the_fallback_read_later_is_the_one_rendered_at_once(
    simulator: ProviderSimulator, tmp_path: Path
) -> None:
    # When the post is gone the fallback is rendered with the tombstone, at once:
    # from the same snapshot it has the same body as the deferred one.
    providers = simulator.providers_file(tmp_path, names=("Twitter",))
    cache = f"sqlite:///{tmp_path}/cache.db"
    with Resolver(cache=cache, providers=providers, env={}, timeout=1) as online:
        deferred = online.resolve(POST).fallback_html
    simulator.fault("/twitter/oembed", "status", status=404)
    with Resolver(cache=cache, providers=providers, env={}, timeout=1) as later:
        gone = later.resolve(POST, refresh=True)
    assert gone.status == "gone"
    assert fallback_length(gone, -1) > 0  # rendered with the embed
    head, body = deferred.split(">", 1)  # the figure's attributes name the status
    assert 'data-embedkit-status="fresh"' in head
    assert gone.fallback_html.split(">", 1)[1] == body


def test_a_deferred_fallback_behaves_as_a_field(resolver: Resolver) -> None:
    embed = _fresh(resolver)
    by_hand = Embed(**{f.name: getattr(embed, f.name) for f in dataclasses.fields(Embed)})
    assert by_hand == embed  # reading every field renders the fallback
    fallback = embed.fallback_html
    assert by_hand.fallback_html == fallback
    assert f"fallback_html={fallback!r}" in repr(embed)
    assert pickle.loads(pickle.dumps(embed)) == embed
    assert copy.copy(embed).fallback_html == fallback
    assert copy.deepcopy(embed).fallback_html == fallback
    assert dataclasses.replace(embed, status="cached").fallback_html == fallback
    fields = dataclasses.asdict(embed)
    assert fields["fallback_html"] == fallback
    assert not any(name.startswith("_") for name in fields)


def test_threads_reading_one_deferred_fallback_all_get_the_same_text(resolver: Resolver) -> None:
    embed = _fresh(resolver)
    with ThreadPoolExecutor(8) as pool:
        texts = set(pool.map(lambda _: embed.fallback_html, range(64)))
    assert len(texts) == 1
    assert "Kishida" in texts.pop()


def test_an_embed_made_by_hand_keeps_its_fallback_as_given() -> None:
    made = Embed(ref="r", url="https://a.test/", status="fallback", provider=None, html="<p>x</p>")
    assert made.fallback_html == ""
    given = dataclasses.replace(made, fallback_html="<p>f</p>")
    assert given.fallback_html == "<p>f</p>"
    assert fallback_length(given, -1) == len("<p>f</p>")
    with pytest.raises(AttributeError, match="no attribute 'no_such_field'"):
        getattr(made, "no_such_field")  # noqa: B009 - the lookup hook is under test


def test_a_rendered_fallback_lets_go_of_what_it_was_made_from(resolver: Resolver) -> None:
    embed = _fresh(resolver)
    render = object.__getattribute__(embed, "_render_fallback")
    assert render is not None
    assert embed.fallback_html
    assert object.__getattribute__(embed, "_render_fallback") is None
