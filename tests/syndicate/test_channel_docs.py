"""docs/channels.md and ENV_VARS stay in step with the variables the channel modules read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from embedkit.syndicate import channels
from embedkit.syndicate.channels import CHANNELS, ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
SOURCES = Path(channels.__file__).parent


def _read_by_modules() -> set[str]:
    found: set[str] = set()
    for module in SOURCES.glob("*.py"):
        if module.name == "__init__.py":
            continue
        found |= set(re.findall(r'"(EMBEDKIT_[A-Z_]+)"', module.read_text(encoding="utf-8")))
    return found


def test_env_vars_lists_exactly_what_the_modules_read() -> None:
    assert set(ENV_VARS) == _read_by_modules()


@pytest.mark.parametrize("name", sorted(ENV_VARS))
def test_every_variable_is_in_the_docs_table(name: str) -> None:
    assert re.search(rf"^\| `{name}` \|", DOC, re.M), name


@pytest.mark.parametrize("name", CHANNELS)
def test_every_channel_has_a_docs_section(name: str) -> None:
    assert re.search(rf"^### .*`{name}`", DOC, re.M), name
