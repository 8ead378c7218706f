"""The command line as users type it: CliRunner for the resolver-side commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.simulator import FIXTURES, REUTERS_STATUS_ID, ProviderSimulator

from embedkit import Resolver
from embedkit.cli._main import cli
from embedkit.net._http import HttpClient

REUTERS = f"https://twitter.com/Reuters/status/{REUTERS_STATUS_ID}"
CANONICAL = f"https://x.com/reuters/status/{REUTERS_STATUS_ID}"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def opts(simulator: ProviderSimulator, tmp_path: Path) -> list[str]:
    providers = simulator.providers_file(tmp_path)
    simulator.route("/twitter/oembed", fixture="twitter-reuters.json", when_url=CANONICAL)
    return ["--cache", f"sqlite:///{tmp_path}/cache.db", "--providers", str(providers)]


def test_resolve_prints_html(runner: CliRunner, opts: list[str]) -> None:
    result = runner.invoke(cli, ["resolve", REUTERS, *opts])
    assert result.exit_code == 0, result.output
    assert 'data-embedkit-status="fresh"' in result.output
    assert "Reuters (@Reuters)" in result.output


def test_resolve_json_lines(
    runner: CliRunner, opts: list[str], simulator: ProviderSimulator
) -> None:
    refs = [REUTERS, "https://x.com/Reuters/status/" + REUTERS_STATUS_ID + "?s=20"]
    result = runner.invoke(cli, ["resolve", "--format", "json", "--maxwidth", "500", *refs, *opts])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["ref"] for row in rows] == refs
    assert {row["url"] for row in rows} == {CANONICAL}
    assert {row["status"] for row in rows} <= {"fresh", "cached"}
    assert set(rows[0]) == {"ref", "url", "status", "kind", "provider", "html", "error"}
    assert {row["kind"] for row in rows} == {"embed"}
    assert simulator.last("/twitter/oembed").query["maxwidth"] == "500"


def test_invalid_reference_exits_2_and_the_others_still_resolve(
    runner: CliRunner, opts: list[str]
) -> None:
    result = runner.invoke(
        cli,
        [
            "resolve",
            "--format",
            "json",
            "javascript:alert(1)",
            REUTERS,
            "ftp://example.com/x",
            *opts,
        ],
    )
    assert result.exit_code == 2
    assert "javascript" in result.stderr
    assert "ftp" in result.stderr
    assert "Traceback" not in result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]  # one line per REF
    assert [row["ref"] for row in rows] == ["javascript:alert(1)", REUTERS, "ftp://example.com/x"]
    assert [row["status"] for row in rows] == ["invalid", "fresh", "invalid"]
    assert "javascript: scheme is not allowed" in rows[0]["error"]
    assert rows[0]["html"] is None


def test_offline_and_refresh(
    runner: CliRunner, opts: list[str], simulator: ProviderSimulator
) -> None:
    offline = runner.invoke(cli, ["resolve", "--offline", "--format", "json", REUTERS, *opts])
    assert json.loads(offline.stdout)["status"] == "fallback"
    assert simulator.count() == 0
    runner.invoke(cli, ["resolve", REUTERS, *opts])
    runner.invoke(cli, ["resolve", REUTERS, *opts])
    assert simulator.count("/twitter/oembed") == 1
    refreshed = runner.invoke(cli, ["resolve", "--refresh", "--format", "json", REUTERS, *opts])
    assert json.loads(refreshed.stdout)["status"] == "fresh"
    assert simulator.count("/twitter/oembed") == 2


def test_providers_match_and_list(runner: CliRunner, opts: list[str]) -> None:
    urls = [
        "https://mobile.twitter.com/Reuters/status/1",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://example.org/page",
    ]
    result = runner.invoke(cli, ["providers", "match", *urls])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"{urls[0]}\tTwitter",
        f"{urls[1]}\tYouTube",
        f"{urls[2]}\t-",
    ]
    listed = runner.invoke(cli, ["providers", "list", "--format", "json"])
    names = {json.loads(line)["name"] for line in listed.output.splitlines()}
    assert {"Twitter", "YouTube", "Bluesky", "Vimeo"} <= names
    assert len(names) > 300


def test_providers_update_validates_before_replacing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    result = runner.invoke(cli, ["providers", "update", "--from", str(bad)])
    assert result.exit_code != 0
    assert "bad.json" in result.stderr
    assert "Traceback" not in result.output
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            [
                {
                    "provider_name": "Example",
                    "provider_url": "https://ex.org",
                    "endpoints": [
                        {"url": "https://ex.org/oembed", "schemes": ["https://ex.org/p/*"]}
                    ],
                }
            ]
        )
    )
    result = runner.invoke(cli, ["providers", "update", "--from", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 providers" in result.output


def test_cache_stats_and_purge(runner: CliRunner, opts: list[str], tmp_path: Path) -> None:
    runner.invoke(cli, ["resolve", REUTERS, "https://youtu.be/dQw4w9WgXcQ", *opts])
    cache = opts[:2]
    stats = json.loads(runner.invoke(cli, ["cache", "stats", "--format", "json", *cache]).output)
    assert stats["entries"] == 2
    assert stats["providers"] == {"Twitter": 1, "YouTube": 1}
    text = runner.invoke(cli, ["cache", "stats", *cache]).output
    assert "entries:   2" in text
    usage = runner.invoke(cli, ["cache", "purge", *cache])
    assert usage.exit_code == 2
    purged = runner.invoke(cli, ["cache", "purge", "--url", REUTERS + "?s=20", *cache])
    assert purged.output.strip() == f"Removed 1 entry from {cache[1]}."
    purged = runner.invoke(cli, ["cache", "purge", "--all", *cache])
    assert purged.output.strip() == f"Removed 1 entry from {cache[1]}."


def test_bad_cache_url_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["resolve", REUTERS, "--cache", "mongodb://nope"])
    assert result.exit_code == 2
    assert "mongodb://nope" in result.stderr
    assert "Traceback" not in result.output


def test_render_writes_a_page_with_its_assets(
    runner: CliRunner, opts: list[str], tmp_path: Path
) -> None:
    source = tmp_path / "post.md"
    source.write_text(f"---\ntitle: A post\n---\n\nSome text.\n\n{REUTERS}\n")
    out = tmp_path / "out" / "page.html"
    out.parent.mkdir()
    result = runner.invoke(cli, ["render", str(source), "-o", str(out), *opts])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<title>A post</title>" in page
    assert "Reuters (@Reuters)" in page
    assert page.count("platform.twitter.com/widgets.js") == 1
    consent = runner.invoke(cli, ["render", str(source), "--consent", *opts])
    assert "Load post from X" in consent.output
    assert 'platform.twitter.com/widgets.js"></script>' not in consent.output
    assert (out.parent / "embedkit-consent.js").exists()


def test_errors_never_show_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "providers.json"
    broken.write_text("{ not json")
    result = runner.invoke(
        cli, ["resolve", REUTERS, "--providers", str(broken), "--cache", "memory://"]
    )
    assert result.exit_code == 2
    assert "providers.json" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.md", b"---\ntitle: [unclosed\n---\nbody\n", "malformed front matter (line 3)"),
        ("latin1.md", "---\ntitle: Caf\xe9\n---\n".encode("latin-1"), "not UTF-8 text"),
        ("notes.txt", b"https://x.com/a/status/1\n", "expected a .md or .html file"),
    ],
)
def test_render_names_a_bad_document(
    runner: CliRunner, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    result = runner.invoke(cli, ["render", str(source), "--offline", "--cache", "memory://"])
    assert result.exit_code == 2, result.output
    assert name in result.stderr
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["resolve", "render"])
def test_a_corrupt_cache_never_breaks_a_page(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    """docs/cache.md: warn once, carry on without the cache, exit 0 with the page."""
    corrupt = tmp_path / "cache.db"
    corrupt.write_bytes(b"this is not a database" * 200)
    source = tmp_path / "post.md"
    source.write_text(f"---\ntitle: A post\n---\n\n{REUTERS}\n")
    target = REUTERS if command == "resolve" else str(source)
    result = runner.invoke(cli, [command, target, "--offline", "--cache", f"sqlite:///{corrupt}"])
    assert result.exit_code == 0, result.output
    assert "A post on X" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    assert len(warnings) == 1
    assert str(corrupt) in warnings[0]
    assert "carrying on without the cache" in warnings[0]
    assert "Traceback" not in result.output
    assert corrupt.read_bytes() == b"this is not a database" * 200  # left alone


def test_resolve_json_says_a_link_card_is_a_card(
    runner: CliRunner, simulator: ProviderSimulator, tmp_path: Path
) -> None:
    # The article is cached as a card by a resolver that reaches the page through the
    # simulator; the command then reads it from the same cache, offline.
    path = "/2023/03/15/n-korean-missile-lands-off-s-korea"
    article = f"https://news.example.com{path}"
    page = FIXTURES.parent / "render" / "n-korean-missile.html"
    simulator.page(path, html=page.read_text("utf-8"))
    cache = f"sqlite:///{tmp_path}/cache.db"
    public = "93.184.216.34"
    with (
        HttpClient(
            transport=simulator.transport(), dns=lambda host, port: [public], timeout=2.0
        ) as http,
        Resolver(cache=cache, http=http, env={}) as resolver,
    ):
        assert resolver.resolve(article).kind == "card"
    result = runner.invoke(
        cli, ["resolve", "--format", "json", "--offline", "--cache", cache, article]
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert (row["kind"], row["status"]) == ("card", "cached")
    assert "embedkit-linkcard" in row["html"]
