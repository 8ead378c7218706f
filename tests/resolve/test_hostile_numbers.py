"""Numbers in provider answers: '²', other digits, huge, float and percent values.

A provider answer with ``"duration": "²"`` used to make ``Resolver.resolve()`` raise
``ValueError`` ("²".isdigit() is true, int("²") raises), and since the entry was
cached first, every later resolve of that URL raised too, offline and from other
processes. Every number now goes through ``embedkit._values.as_int``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.simulator import ProviderSimulator

from embedkit import Resolver

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
IFRAME = '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>'

HOSTILE = ["²", "١٢٣", "１２", "9" * 5000, "1e999", "nan", "100%", "-5", "0x10", 1e308, -1.5, 2.7]
FIELDS = ["duration", "width", "height", "thumbnail_width", "thumbnail_height", "cache_age"]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:12])
def test_a_hostile_number_never_raises_now_or_from_the_cache(
    simulator: ProviderSimulator, tmp_path: Path, value: object
) -> None:
    providers = simulator.providers_file(tmp_path, ["YouTube"])
    answer: dict[str, object] = {"type": "video", "version": "1.0", "title": "Rick", "html": IFRAME}
    answer.update(dict.fromkeys(FIELDS, value))
    simulator.route("/youtube/oembed", body=answer)
    cache = f"sqlite:///{tmp_path / 'embeds.db'}"
    with Resolver(cache=cache, providers=providers, allow_private_networks=True, env={}) as r:
        fresh = r.resolve(VIDEO)
        again = r.resolve(VIDEO)
    assert fresh.status == "fresh"
    assert again.status == "cached"
    assert "Rick" in fresh.fallback_html
    # A new process on the same cache, offline: the stored answer still presents.
    with Resolver(cache=cache, providers=providers, offline=True, env={}) as offline:
        later = offline.resolve(VIDEO)
    assert later.status in ("cached", "stale")
    assert "youtube.com/embed/dQw4w9WgXcQ" in later.html
    assert simulator.count("/youtube/oembed") == 1
