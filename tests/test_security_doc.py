"""docs/SECURITY.md names the test behind each defence; every test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "SECURITY.md").read_text("utf-8")
REFERENCES = sorted(set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", DOC)))


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_the_security_doc_has_a_threat_model_and_defences() -> None:
    assert "## Threat model" in DOC
    assert "## Defences" in DOC
    assert len(REFERENCES) >= 20


@pytest.mark.parametrize(("path", "name"), REFERENCES, ids=[f"{p}::{n}" for p, n in REFERENCES])
def test_every_test_named_in_the_security_doc_exists(path: str, name: str) -> None:
    assert name in _test_names(ROOT / path), (
        f"docs/SECURITY.md names a missing test: {path}::{name}"
    )
