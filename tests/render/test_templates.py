"""embedkit._templating: search order, overrides by name, strictness, autoescaping."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import jinja2
import pytest

from embedkit._errors import ConfigError
from embedkit._models import Ref
from embedkit._templating import make_environment, packaged_template_dir, template_dirs
from embedkit.present._presentation import present

REUTERS_URL = "https://x.com/Reuters/status/1636212467429621760"
REUTERS = Ref(raw=REUTERS_URL, url=REUTERS_URL, kind="x", post_id="1636212467429621760")
PACKAGED = (
    "embed.html",
    "consent.html",
    "tombstone.html",
    "fallback/post.html",
    "fallback/video.html",
    "fallback/photo.html",
    "fallback/link.html",
)


def _override(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return folder


def _fallback(env: jinja2.Environment, snapshot: dict[str, str] | None = None) -> str:
    return present(
        env,
        ref=REUTERS,
        provider="Twitter",
        platform="x",
        status="fallback",
        data=None,
        snapshot=snapshot,
    ).html


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_templates_exist(name: str) -> None:
    assert (packaged_template_dir() / name).is_file()


def test_search_order_is_explicit_then_environment_then_packaged(tmp_path: Path) -> None:
    first, second, third = (tmp_path / n for n in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    env = {"EMBEDKIT_TEMPLATES": os.pathsep.join([str(second), str(third)])}
    assert template_dirs([first], env=env) == [first, second, third, packaged_template_dir()]


def test_missing_user_folder_is_a_config_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match="nope"):
        template_dirs([missing], env={})
    with pytest.raises(ConfigError, match="EMBEDKIT_TEMPLATES"):
        template_dirs(env={"EMBEDKIT_TEMPLATES": str(missing)})


def test_override_by_name_from_an_explicit_folder(tmp_path: Path) -> None:
    folder = _override(
        tmp_path, "fallback/post.html", "<p>house style {{ snap.published | longdate }}</p>"
    )
    html = _fallback(make_environment([folder], env={}))
    assert "<p>house style March 16, 2023</p>" in html
    assert 'class="embedkit embedkit--x embedkit--fallback"' in html  # embed.html default


def test_override_by_name_from_embedkit_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _override(tmp_path, "embed.html", "<div class=mine>{{ body }}</div>")
    monkeypatch.setenv("EMBEDKIT_TEMPLATES", str(folder))
    html = _fallback(make_environment())
    assert html.startswith("<div class=mine>")


def test_explicit_folder_wins_over_the_environment(tmp_path: Path) -> None:
    explicit = _override(tmp_path / "a", "tombstone.html", "explicit")
    from_env = _override(tmp_path / "b", "tombstone.html", "environment")
    environment = make_environment([explicit], env={"EMBEDKIT_TEMPLATES": str(from_env)})
    assert environment.get_template("tombstone.html").render() == "explicit"


def test_a_template_is_read_once_per_environment(tmp_path: Path) -> None:
    # docs/rendering.md: a resolver reads each template once; a new one sees edits.
    folder = _override(tmp_path, "tombstone.html", "first")
    environment = make_environment([folder], env={})
    assert environment.get_template("tombstone.html").render() == "first"
    _override(tmp_path, "tombstone.html", "second")
    assert environment.get_template("tombstone.html").render() == "first"
    assert make_environment([folder], env={}).get_template("tombstone.html").render() == "second"


def test_strict_undefined_makes_a_typo_fail(tmp_path: Path) -> None:
    folder = _override(tmp_path, "fallback/post.html", "{{ snap.txet }}")
    with pytest.raises(jinja2.UndefinedError):
        _fallback(make_environment([folder], env={}))
    with pytest.raises(jinja2.UndefinedError):
        make_environment(env={}).from_string("{{ no_such_variable }}").render()


def test_provider_text_is_escaped_in_fallbacks() -> None:
    snapshot = {
        "type": "rich",
        "author_name": "<b>Reuters</b>",
        "html": '<blockquote class="twitter-tweet"><p>&lt;b&gt;bold&lt;/b&gt; '
        "&lt;script&gt;alert(1)&lt;/script&gt;</p>&mdash; Reuters (@Reuters) "
        f'<a href="{REUTERS_URL}">March 16, 2023</a></blockquote>',
    }
    html = _fallback(make_environment(env={}), snapshot)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>" not in html
    assert "<script" not in html


def test_text_templates_are_not_escaped(tmp_path: Path) -> None:
    folder = _override(tmp_path, "posts/x.txt.j2", "{{ title }} & more")
    rendered = (
        make_environment([folder], env={})
        .get_template("posts/x.txt.j2")
        .render(title="Japan & Korea <news>")
    )
    assert rendered == "Japan & Korea <news> & more"


def test_html_templates_are_escaped(tmp_path: Path) -> None:
    folder = _override(tmp_path, "card.html", "{{ title }}")
    rendered = make_environment([folder], env={}).get_template("card.html").render(title="<b>")
    assert rendered == "&lt;b&gt;"


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("{{ v | longdate }}", datetime.date(2023, 3, 16), "March 16, 2023"),
        ("{{ v | longdate }}", datetime.datetime(2014, 2, 20, 11, 25), "February 20, 2014"),
        ("{{ v | longdate }}", None, ""),
        ("{{ v | isodate }}", datetime.date(2023, 3, 16), "2023-03-16"),
        (
            "{{ v | isodate }}",
            datetime.datetime(2023, 3, 16, 3, 47, 6, tzinfo=datetime.UTC),
            "2023-03-16T03:47:06Z",
        ),
        ("{{ v | duration }}", 75, "1:15"),
        ("{{ v | duration }}", 3725, "1:02:05"),
        ("{{ v | httpurl }}", "https://x.com/a", "https://x.com/a"),
        ("{{ v | httpurl }}", "javascript:alert(1)", ""),
        ("{{ v | httpurl }}", " data:text/html,x", ""),
        ("{{ v | nl2br }}", "a<b>\nc", "a&lt;b&gt;<br>\nc"),
    ],
)
def test_filters(source: str, value: object, expected: str) -> None:
    assert make_environment(env={}).from_string(source).render(v=value) == expected
