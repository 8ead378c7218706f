"""The package root, the console script, and the wheel as users install it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

import embedkit

ROOT = Path(__file__).resolve().parents[1]


def test_all_is_sorted_and_complete() -> None:
    assert list(embedkit.__all__) == sorted(embedkit.__all__)
    for name in embedkit.__all__:
        assert hasattr(embedkit, name), name
    eager = {name for name in vars(embedkit) if not name.startswith("_")}
    modules = {name for name in eager if type(getattr(embedkit, name)).__name__ == "module"}
    lazy = {"Resolver", "canonicalize", "parse_ref"}
    assert eager - modules - {"annotations"} | lazy == set(embedkit.__all__)


BLOCK_EXTRAS = textwrap.dedent(
    """
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"redis", "mastodon", "atproto", "playwright"}:
                raise ImportError(f"{name} is an optional extra")
            return None
    sys.meta_path.insert(0, Block())
    """
)


def test_core_works_without_optional_extras() -> None:
    code = BLOCK_EXTRAS + textwrap.dedent(
        """
        import embedkit
        from embedkit.cli.main import cli
        from click.testing import CliRunner
        result = CliRunner().invoke(cli, ["--help"])
        assert result.exit_code == 0, result.output
        r = embedkit.Resolver(cache="memory://", offline=True)
        e = r.resolve("https://x.com/Reuters/status/1636212467429621760")
        assert e.status == "fallback", e
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_console_script_and_module_entry_point() -> None:
    for argv in (
        [sys.executable, "-m", "embedkit", "--help"],
        [str(Path(sys.executable).with_name("embedkit")), "--help"],
    ):
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "resolve" in result.stdout
        assert "syndicate" in result.stdout


@pytest.mark.slow
def test_wheel_carries_templates_and_renders_in_a_fresh_venv(tmp_path: Path) -> None:
    """Build the wheel, install it alone in a new venv, and render the seed article."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("embedkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "embedkit/templates/page.html" in names
    assert "embedkit/templates/posts/x.txt.j2" in names
    assert "embedkit/data/providers.json" in names
    assert "embedkit/py.typed" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    # The dependencies come from the test venv's site-packages, added after the fresh
    # venv's own: the .pth line adds the folder without running its editable-install hooks.
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    source = tmp_path / "article.md"
    shutil.copy(ROOT / "examples" / "japan-korea-trade.md", source)
    code = textwrap.dedent(
        f"""
        import embedkit, pathlib
        assert pathlib.Path(embedkit.__file__).is_relative_to({site!r}), embedkit.__file__
        r = embedkit.Resolver(cache="memory://", offline=True)
        page = r.render_document({str(source)!r})
        assert "@Reuters" in page and "March 16, 2023" in page, page
        print("rendered")
        """
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rendered"
