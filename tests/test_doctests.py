"""Every ``>>>`` example in the package's docstrings runs, as a test of the default suite.

Modules are found by walking the package, so a new module's examples join
automatically. The Django and Wagtail integrations need a configured Django to be
imported; their examples are written as ``python no-run`` blocks in docs/ instead,
and this test checks that they hold no ``>>>`` lines that would silently never run.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import embedkit

PACKAGE = Path(embedkit.__file__).parent
#: Modules that cannot be imported without a configured Django project.
NEEDS_DJANGO = ("embedkit.contrib.django", "embedkit.contrib.wagtail")


def _modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE)], prefix="embedkit.")
        if not info.name.startswith(NEEDS_DJANGO)
    ]
    return sorted(["embedkit", *names])


def _source(name: str) -> str:
    spec = importlib.util.find_spec(name)
    assert spec is not None, name
    assert spec.origin is not None, name
    return Path(spec.origin).read_text(encoding="utf-8")


MODULES = [name for name in _modules() if ">>>" in _source(name)]


def test_the_walk_finds_the_examples() -> None:
    assert len(MODULES) >= 20  # the package documents itself with examples


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, name)
    examples = sum(len(test.examples) for test in tests)
    assert examples > 0, f"{name} has '>>>' lines that no doctest collects"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_django_modules_hold_no_uncollected_examples() -> None:
    for path in PACKAGE.rglob("*.py"):
        dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if dotted.startswith(NEEDS_DJANGO):
            assert ">>>" not in path.read_text(encoding="utf-8"), dotted
