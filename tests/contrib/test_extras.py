"""The core install does not pull in Django, Wagtail, MkDocs or Flask."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from importlib import metadata

FRAMEWORKS = {"django", "wagtail", "mkdocs", "flask"}

BLOCK_FRAMEWORKS = textwrap.dedent(
    """
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"django", "wagtail", "mkdocs", "flask"}:
                raise ImportError(f"No module named {name!r} (blocked: an optional extra)")
            return None
    sys.meta_path.insert(0, Block())
    """
)


def _name(requirement: str) -> str:
    return re.split(r"[ ;<>=!~\\[]", requirement, maxsplit=1)[0].lower()


def test_core_dependencies_name_no_framework() -> None:
    requires = metadata.requires("embedkit") or []
    core = {_name(r) for r in requires if "extra ==" not in r}
    assert "httpx" in core
    assert not core & FRAMEWORKS, core
    extras: dict[str, set[str]] = {}
    for requirement in requires:
        found = re.search(r"extra == [\"']([^\"']+)", requirement)
        if found:
            extras.setdefault(_name(requirement), set()).add(found.group(1))
    assert extras["django"] == {"django", "test"}
    assert extras["wagtail"] == {"wagtail", "test"}
    assert extras["mkdocs"] == {"mkdocs", "test"}
    assert extras["flask"] == {"test"}


def test_embedkit_and_the_markdown_extension_work_without_the_frameworks() -> None:
    code = BLOCK_FRAMEWORKS + textwrap.dedent(
        """
        import markdown
        import embedkit
        html = markdown.markdown(
            "https://x.com/Reuters/status/1636212467429621760\\n",
            extensions=["embedkit.contrib.markdown"],
            extension_configs={
                "embedkit.contrib.markdown": {"cache": "memory://", "offline": True}
            },
        )
        assert "A post on X" in html, html
        try:
            import embedkit.contrib.wagtail
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "embedkit.contrib.wagtail needs Wagtail: pip install 'embedkit[wagtail]'"
    )
