"""The package root, the console script, and the wheel as users install it."""

from __future__ import annotations

import ast
import importlib
import inspect
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: The public package roots: each exports real names in a sorted, complete __all__.
PUBLIC_ROOTS = (
    "embedkit",
    "embedkit.net",
    "embedkit.page",
    "embedkit.present",
    "embedkit.resolve",
    "embedkit.resolve.cache",
    "embedkit.serve",
    "embedkit.syndicate",
    "embedkit.syndicate.channels",
)


def _isort_key(name: str) -> tuple[int, str]:
    """CONSTANTS, then Classes, then functions: isort's order, as ruff applies it."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("root", PUBLIC_ROOTS)
def test_all_is_sorted_and_complete(root: str) -> None:
    module = importlib.import_module(root)
    names = list(module.__all__)
    assert names == sorted(names, key=_isort_key)  # the order ruff's RUF022 keeps
    for name in names:
        assert getattr(module, name) is not None, name
    lazy = set(getattr(module, "_LAZY", {}))
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public | lazy == set(names)


def _module_names() -> list[str]:
    package = ROOT / "src" / "embedkit"
    found = []
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(parts))
    return sorted(found)


def test_implementation_modules_are_private() -> None:
    """Every module is a public root, an integration users name in settings, or private."""
    entry_points = {"embedkit.__main__", "embedkit.cli", "embedkit.contrib"}
    for name in _module_names():
        if name in PUBLIC_ROOTS or name in entry_points or name.startswith("embedkit.contrib."):
            continue
        assert any(part.startswith("_") for part in name.split(".")[1:]), name


def _modules() -> dict[str, Path]:
    src = ROOT / "src"
    found: dict[str, Path] = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _load_time_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported (not those under TYPE_CHECKING)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            found.extend(_load_time_imports(node.orelse))
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    found.extend(_load_time_imports([child]))
            for handler in getattr(node, "handlers", ()):
                found.extend(_load_time_imports(handler.body))
            found.extend(_load_time_imports(getattr(node, "orelse", [])))
            found.extend(_load_time_imports(getattr(node, "finalbody", [])))
    return found


def _import_graph() -> dict[str, set[str]]:
    """embedkit module → the embedkit modules it imports when it is imported.

    ``from embedkit.x import y`` is an edge to ``embedkit.x.y`` when that is a module,
    else to ``embedkit.x``. A parent package is imported before any of its modules
    anyway, so that implicit step is not an edge.
    """
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in _load_time_imports(ast.parse(path.read_text("utf-8")).body):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                edges.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        graph[name] = {edge for edge in edges if edge in modules and edge != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles a depth-first walk of ``graph`` meets, each as a path."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_the_import_graph_has_no_cycle() -> None:
    graph = _import_graph()
    assert len(graph) > 100  # it read the tree
    assert "embedkit.present._presentation" in graph["embedkit.resolve._resolver"]
    cycles = _cycles(graph)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_check_finds_a_cycle_and_skips_type_checking_imports() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    module = ast.parse(
        "from embedkit.b import thing\nif TYPE_CHECKING:\n    from embedkit.a import x\n"
    )
    assert [ast.unparse(node) for node in _load_time_imports(module.body)] == [
        "from embedkit.b import thing"
    ]


def test_mypy_sees_the_public_types(tmp_path: Path) -> None:
    """A user's project type-checks against the package root (no module __getattr__ guess)."""
    user = tmp_path / "user.py"
    user.write_text(
        textwrap.dedent(
            """
            from embedkit import Embed, Resolver, render_html

            def page(html: str) -> str:
                with Resolver(cache="memory://", offline=True) as resolver:
                    embed: Embed = resolver.resolve("https://x.com/a/status/1")
                    assert embed.status in ("fresh", "cached", "stale", "gone", "fallback")
                    return render_html(html, resolver)

            x: int = Resolver  # a deliberate error, to prove mypy sees the real class
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.stdout.count("error:") == 1, result.stdout
    assert 'has type "type[Resolver]"' in result.stdout, result.stdout


BLOCK_EXTRAS = textwrap.dedent(
    """
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            extras = {"redis", "mastodon", "atproto", "playwright", "starlette", "uvicorn",
                      "prometheus_client"}
            if name.split(".")[0] in extras:
                raise ImportError(f"{name} is an optional extra")
            return None
    sys.meta_path.insert(0, Block())
    """
)


def test_core_works_without_optional_extras() -> None:
    code = BLOCK_EXTRAS + textwrap.dedent(
        """
        import embedkit
        from embedkit.cli._main import cli
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
        page = embedkit.render_document({str(source)!r}, r)
        assert "A post on X" in page and "March 16, 2023" in page, page
        print("rendered")
        """
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rendered"
