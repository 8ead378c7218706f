"""The file channel: one fsync'd JSON line per post, idempotent by key, safe across writers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tests.syndicate.fakes import sample_post

from embedkit._errors import MissingCredential
from embedkit.syndicate._models import Facet, LinkCard
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._file import FileChannel


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_publish_appends_one_json_line(tmp_path: Path) -> None:
    path = tmp_path / "out" / "posts.jsonl"
    channel = make_channel("file", env={"EMBEDKIT_FILE_CHANNEL_PATH": str(path)})
    post = sample_post(
        "file",
        text="日本と韓国 https://example.com/a",
        facets=(Facet(16, 37, "link", "https://example.com/a"),),
        card=LinkCard("https://example.com/a", "Title"),
        lang="ja",
    )
    key = idempotency_key(post.article_id, "file", post.text_hash)
    published = channel.publish(post, idempotency_key=key)
    [line] = _lines(path)
    assert line["text"] == "日本と韓国 https://example.com/a"
    assert line["idempotency_key"] == key
    assert line["article_id"] == post.article_id
    assert line["facets"] == [
        {"byte_start": 16, "byte_end": 37, "kind": "link", "value": "https://example.com/a"}
    ]
    assert line["card"] == {
        "url": "https://example.com/a",
        "title": "Title",
        "description": "",
        "thumb": None,
    }
    assert published.id == line["id"]
    assert published.url is not None
    assert published.url.startswith("file://")
    assert "日本と韓国".encode() in path.read_bytes()  # not \u-escaped


def test_the_same_key_is_written_once(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "posts.jsonl")
    first = channel.publish(sample_post("file"), idempotency_key="k1")
    again = channel.publish(sample_post("file"), idempotency_key="k1")
    other = channel.publish(sample_post("file"), idempotency_key="k2")
    assert first == again
    assert other.id != first.id
    assert [line["idempotency_key"] for line in _lines(tmp_path / "posts.jsonl")] == ["k1", "k2"]


def test_concurrent_writers_neither_interleave_nor_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    keys = [f"key-{i % 20}" for i in range(120)]  # every key six times

    def write(key: str) -> str:
        return (
            FileChannel(path).publish(sample_post("file", text="x" * 5000), idempotency_key=key).id
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(write, keys))
    lines = _lines(path)  # every line parses: no torn or interleaved writes
    assert sorted(line["idempotency_key"] for line in lines) == sorted({*keys})
    assert len(set(ids)) == 20


def test_recent_reads_back_newest_first_and_skips_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    channel = FileChannel(path)
    channel.publish(sample_post("file", text="first"), idempotency_key="k1")
    channel.publish(sample_post("file", text="second"), idempotency_key="k2")
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "torn", "te')
    recent = channel.recent(limit=10)
    assert [(p.text, p.idempotency_key) for p in recent] == [("second", "k2"), ("first", "k1")]
    assert recent[0].created_at is not None
    assert [p.text for p in channel.recent(limit=1)] == ["second"]


def test_recent_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert FileChannel(tmp_path / "nothing.jsonl").recent() == []


def test_the_path_seam_overrides_the_environment(tmp_path: Path) -> None:
    channel = make_channel("file", env={}, path=tmp_path / "seam.jsonl")
    channel.publish(sample_post("file"), idempotency_key="k")
    assert (tmp_path / "seam.jsonl").exists()


def test_missing_path_names_the_variable() -> None:
    with pytest.raises(MissingCredential, match="EMBEDKIT_FILE_CHANNEL_PATH"):
        make_channel("file", env={})
