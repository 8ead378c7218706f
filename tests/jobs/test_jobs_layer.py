"""The jobs layer: one ChannelSet for run and reconcile, configuration checked once, to_dict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedkit._errors import ConfigError, MissingCredential
from embedkit.syndicate import (
    Post,
    Published,
    RemotePost,
    format_post,
    load_articles,
    reconcile,
    run_job,
)
from embedkit.syndicate._channelset import ChannelSet, channel_name, instance_limit
from embedkit.syndicate._ledger import Ledger
from embedkit.syndicate.channels import Channel, make_channel


class Recorder:
    """A channel object handed to a job (the seam: channels are arguments)."""

    name = "file"
    idempotent = True

    def __init__(self, limit: int | None = None) -> None:
        self.posts: list[Post] = []
        self.closed = 0
        self.limit = limit

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        self.posts.append(post)
        return Published(id=str(len(self.posts)))

    def recent(self, limit: int = 40) -> list[RemotePost]:
        return []

    def close(self) -> None:
        self.closed += 1

    def max_characters(self) -> int | None:
        return self.limit


def write_articles(folder: Path, n: int) -> list:  # type: ignore[type-arg]
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"a{i}.json").write_text(
            json.dumps({"id": f"a{i}", "title": f"Story {i}", "url": f"https://n.example/{i}"})
        )
    return load_articles(folder)


def test_the_recorder_is_a_channel() -> None:
    assert isinstance(Recorder(), Channel)


def test_a_channel_set_closes_what_it_built_and_leaves_given_ones_open(tmp_path: Path) -> None:
    built: list[Channel] = []

    def factory(name: str) -> Channel:
        channel = make_channel(name, env={"EMBEDKIT_FILE_CHANNEL_PATH": str(tmp_path / "p")})
        built.append(channel)
        return channel

    given = Recorder()
    with ChannelSet([given, "FILE "], factory=factory) as opened:
        assert opened.names == ("file",)  # the object and the name are one channel
        assert opened.get("File") is given  # a given object wins over building one
    assert given.closed == 0
    assert built == []
    with ChannelSet(["discord", "File"], factory=factory) as opened:
        assert opened.names == ("discord", "file")
        file_channel = opened.get("file")
        assert opened.get("FILE") is file_channel  # built once
    assert built == [file_channel]


def test_configuration_is_checked_once_and_names_every_variable() -> None:
    opened = ChannelSet(["mastodon", "telegram", "file"], env={})
    with opened, pytest.raises(MissingCredential) as info:
        opened.check_configuration()
    message = str(info.value)
    for variable in (
        "EMBEDKIT_MASTODON_URL",
        "EMBEDKIT_MASTODON_TOKEN",
        "EMBEDKIT_TELEGRAM_BOT_TOKEN",
        "EMBEDKIT_TELEGRAM_CHAT_ID",
        "EMBEDKIT_FILE_CHANNEL_PATH",
    ):
        assert message.count(variable) == 1
    assert "\n" not in message


def test_a_bad_setting_is_a_config_error() -> None:
    env = {"EMBEDKIT_MASTODON_URL": "ftp://m.example", "EMBEDKIT_MASTODON_TOKEN": "t0123456"}
    with ChannelSet(["mastodon"], env=env) as opened, pytest.raises(ConfigError, match="http"):
        opened.check_configuration()


def test_run_job_checks_configuration_before_claiming_anything(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "a", 2)
    ledger = Ledger(tmp_path / "l.db")
    given = Recorder()
    with pytest.raises(MissingCredential, match="EMBEDKIT_MASTODON_TOKEN"):
        run_job(articles, [given, "mastodon"], ledger, env={})
    assert ledger.rows() == []
    assert given.posts == []


def test_names_are_case_insensitive_so_a_post_is_never_made_twice(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "a", 1)
    ledger = Ledger(tmp_path / "l.db")
    env = {"EMBEDKIT_FILE_CHANNEL_PATH": str(tmp_path / "posts.jsonl")}
    first = run_job(articles, ["File"], ledger, env=env)
    second = run_job(articles, ["FILE"], ledger, env=env)
    assert [o.status for o in first.outcomes] == ["posted"]
    assert [o.status for o in second.outcomes] == ["skipped"]
    assert [row.channel for row in ledger.rows()] == ["file"]
    assert len((tmp_path / "posts.jsonl").read_text().splitlines()) == 1


def test_a_given_channel_is_used_and_not_closed_and_its_limit_is_asked(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "a", 2)
    channel = Recorder(limit=40)
    summary = run_job(articles, [channel], Ledger(tmp_path / "l.db"))
    assert summary.exit_code == 0
    assert len(channel.posts) == 2
    assert all(post.limit == 40 for post in channel.posts)
    assert channel.closed == 0
    assert instance_limit(channel) == 40
    assert channel_name(channel) == "file"


def test_reconcile_checks_configuration_of_the_channels_it_must_read(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    assert ledger.claim("a1", "mastodon", text_hash="h", idempotency_key="k", run_id="r")
    ledger.record_unknown("a1", "mastodon", error="timeout after sending")
    with pytest.raises(MissingCredential, match="EMBEDKIT_MASTODON_URL"):
        reconcile(ledger, env={})
    row = ledger.get("a1", "mastodon")
    assert row is not None
    assert row.state == "unknown"  # untouched
    results = reconcile(ledger, ["bluesky"], env={})  # no rows there: nothing to check
    assert results == []


def test_to_dict_is_json_ready_for_every_result(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "a", 1)
    ledger = Ledger(tmp_path / "l.db")
    summary = run_job(articles, [Recorder()], ledger)
    data = summary.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["totals"] == [
        {
            "channel": "file",
            "posted": 1,
            "skipped": 0,
            "failed": 0,
            "unknown": 0,
            "would_post": 0,
            "deferred": 0,
        }
    ]
    (outcome,) = data["outcomes"]
    assert (outcome["article_id"], outcome["status"], outcome["post_id"]) == ("a0", "posted", "1")
    row = ledger.get("a0", "file")
    assert row is not None
    assert json.loads(json.dumps(row.to_dict()))["state"] == "posted"
    post = format_post(articles[0], "bluesky").to_dict()
    assert json.loads(json.dumps(post)) == post
    assert post["fits"] is True
    assert isinstance(post["facets"], list)
