"""The platform table: one record per network, and every layer reads it (no copies)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from embedkit import _platforms
from embedkit._errors import ConfigError
from embedkit._platforms import LAYOUTS, PLATFORMS, for_host, for_provider_name, parse_hosts
from embedkit.present._sanitize import KNOWN_SCRIPTS, iframe_hosts
from embedkit.resolve._providers import ProviderRegistry
from embedkit.resolve._refs import _PARSERS, parse_ref

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = json.loads((ROOT / "src/embedkit/data/builtin_providers.json").read_text("utf-8"))
RECORDS = sorted(PLATFORMS.values(), key=lambda p: p.id)


@pytest.fixture(scope="module")
def registry() -> ProviderRegistry:
    return ProviderRegistry.default(env={})


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.id)
def test_a_record_is_well_formed(record: _platforms.Platform) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9]*", record.id)
    assert record.layout in LAYOUTS
    assert record.providers
    assert all(name.strip() for name in record.providers)
    for script in record.scripts:
        parts = urlsplit(script)
        assert (parts.scheme, bool(parts.hostname), parts.query) == ("https", True, ""), script
    for host in record.iframe_hosts:
        assert host == host.lower()
        assert "://" not in host


@pytest.mark.parametrize(
    "record", [r for r in RECORDS if r.hosts or r.host_pattern], ids=lambda r: r.id
)
def test_every_host_routes_to_the_platforms_own_parser(record: _platforms.Platform) -> None:
    assert record.id in _PARSERS
    for host in record.hosts:
        assert for_host(host) is record
        assert parse_ref(f"https://{host}/").kind == record.id


def test_every_parser_belongs_to_a_record() -> None:
    assert set(_PARSERS) <= set(PLATFORMS)


def test_a_host_belongs_to_one_platform_and_a_name_to_one_platform() -> None:
    hosts = [host for record in RECORDS for host in record.hosts]
    assert len(hosts) == len(set(hosts))
    names = [re.sub(r"[^a-z0-9]", "", n.lower()) for r in RECORDS for n in r.providers]
    assert len(names) == len(set(names))


def test_the_sanitizer_reads_scripts_and_iframe_hosts_from_the_records() -> None:
    assert frozenset().union(*(r.scripts for r in RECORDS)) == KNOWN_SCRIPTS
    for record in RECORDS:
        assert iframe_hosts(record.id) == record.iframe_hosts


@pytest.mark.parametrize("entry", BUILTIN, ids=lambda e: e["provider_name"])
def test_builtin_provider_entries_name_their_platform_by_id(entry: dict[str, object]) -> None:
    record = PLATFORMS[str(entry["platform"])]
    assert entry["provider_name"] in record.providers
    assert "family" not in entry


@pytest.mark.parametrize("record", [r for r in RECORDS if r.hosts], ids=lambda r: r.id)
def test_every_platform_with_hosts_has_its_provider(
    registry: ProviderRegistry, record: _platforms.Platform
) -> None:
    if not record.oembed:  # Twitch: no oEmbed, no registry entry; named by platform match
        assert not any(p.platform == record.id for p in registry)
        return
    providers = [p for p in registry if p.platform == record.id]
    assert providers, record.id
    assert providers[0].name == record.provider


def test_a_provider_name_links_to_its_platform_only_from_configuration() -> None:
    x = for_provider_name("X")
    assert x is not None
    assert x.id == "x"
    assert for_provider_name("Bluesky Social") is PLATFORMS["bluesky"]
    assert for_provider_name("Some Blog") is None


def test_a_user_file_may_name_a_platform_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    entry = {
        "provider_name": "Our Mastodon",
        "platform": "mastodon",
        "endpoints": [{"url": "https://social.example/api/oembed",
                       "schemes": ["https://social.example/@*/*"]}],
    }  # fmt: skip
    registry = ProviderRegistry.from_entries([entry])
    found = registry.match("https://social.example/@news/1")
    assert found is not None
    assert found.provider.platform == "mastodon"
    with pytest.raises(ConfigError, match="'platform' must be one of"):
        ProviderRegistry.from_entries([{**entry, "platform": "myspace"}])


@pytest.mark.parametrize(
    ("raw", "hosts"),
    [
        ("social.example", {"social.example"}),
        ("social.example, News.Example ", {"social.example", "news.example"}),
        ("https://social.example/ other.example:8443", {"social.example", "other.example:8443"}),
        (["a.example", "b.example"], {"a.example", "b.example"}),
        ("", set()),
        (None, set()),
    ],
)
def test_configured_hosts_are_read_leniently(raw: object, hosts: set[str]) -> None:
    assert parse_hosts(raw, source="test") == hosts  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["not a host!", "https://social.example/path", "javascript:x", "_"])
def test_a_configured_host_that_is_not_one_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="EMBEDKIT_X"):
        parse_hosts(bad, source="EMBEDKIT_X")


# -- docs/platforms.md shows the real code ---------------------------------------------

_DOC = (ROOT / "docs" / "platforms.md").read_text("utf-8")
_BLOCKS = re.findall(r"```python no-run\n# (src/\S+)\n(.*?)```", _DOC, re.S)


def test_the_worked_example_shows_code_blocks() -> None:
    assert len(_BLOCKS) == 3


@pytest.mark.parametrize(
    ("path", "code"), _BLOCKS, ids=[f"{p}:{i}" for i, (p, _) in enumerate(_BLOCKS)]
)
def test_the_worked_example_is_the_real_code(path: str, code: str) -> None:
    assert code in (ROOT / path).read_text("utf-8"), f"docs/platforms.md is out of date: {path}"
