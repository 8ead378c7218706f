"""The one front-matter (and YAML) loader: ``embedkit render`` and the syndicator use it.

:func:`split_front_matter` splits a Markdown document into its YAML front
matter (between ``---`` lines, found by ``python-frontmatter``) and its body;
:func:`load_yaml` reads a YAML article file. Both use one YAML loader, safe and
bounded, so the same article gives the same values to every caller:

- YAML's *safe* schema only (no Python objects);
- aliases (``*name``, and so ``<<: *name`` merges) are refused: a 386-byte
  document of nested aliases otherwise expands to gigabytes;
- at most :data:`MAX_DEPTH` levels of nesting and :data:`MAX_YAML_CHARS`
  characters (front matter: :data:`MAX_FRONT_MATTER_CHARS`);
- an unquoted timestamp (``published: 2023-03-16`` or ``2023-03-16 09:30``)
  is read by :func:`embedkit._parse.dates.parse_date_value`: a day stays a
  :class:`~datetime.date`, a time becomes an aware datetime (UTC when the text
  has no offset); one that is not a real date (``2023-02-30``) stays text.

Problems raise :class:`FrontMatterError` (a :class:`ValueError`) with the line
when known.

    >>> split_front_matter("---\\ntitle: Hi\\npublished: 2023-03-16\\n---\\nBody")
    ({'title': 'Hi', 'published': datetime.date(2023, 3, 16)}, 'Body')
"""

from __future__ import annotations

from typing import Any

import frontmatter
import yaml

from embedkit._parse.dates import parse_date_value

__all__ = [
    "MAX_DEPTH",
    "MAX_FRONT_MATTER_CHARS",
    "MAX_YAML_CHARS",
    "FrontMatterError",
    "load_yaml",
    "split_front_matter",
]

#: The deepest nesting accepted (mappings and lists inside each other).
MAX_DEPTH = 32
#: The largest front matter block accepted, in characters.
MAX_FRONT_MATTER_CHARS = 128 * 1024
#: The largest YAML document (an article file) accepted, in characters.
MAX_YAML_CHARS = 8 * 1024 * 1024


class FrontMatterError(ValueError):
    """Front matter or a YAML document that cannot be loaded; ``line`` is 1-based."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(f"{problem} (line {line})" if line is not None else problem)
        self.problem = problem
        self.line = line


class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases, with a nesting limit and our timestamp reading."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def _mark(self) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        return event.start_mark

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self._mark()
            raise FrontMatterError(
                "YAML aliases (*name) are not allowed", mark.line + 1 if mark else None
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self._mark()
                raise FrontMatterError(
                    f"nested more than {MAX_DEPTH} levels deep", mark.line + 1 if mark else None
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    return parse_date_value(text) or text


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str, *, max_chars: int = MAX_YAML_CHARS) -> Any:
    """Load one YAML document with the bounded safe loader."""
    if len(text) > max_chars:
        raise FrontMatterError(f"longer than {max_chars} characters")
    try:
        return yaml.load(text, Loader=_Loader)
    except FrontMatterError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
        raise FrontMatterError(str(problem), mark.line + 1 if mark else None) from None
    except RecursionError:
        raise FrontMatterError("nested too deeply") from None


class _Handler(frontmatter.YAMLHandler):  # type: ignore[misc,name-defined]
    def load(self, fm: str, **kwargs: object) -> Any:
        data = load_yaml(fm, max_chars=MAX_FRONT_MATTER_CHARS)
        if data is not None and not isinstance(data, dict):
            raise FrontMatterError("front matter must be a mapping of fields")
        return data


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``(fields, body)`` of a Markdown document; ``({}, text)`` without front matter.

    Field names are the mapping's keys as written (non-text keys are dropped).
    """
    metadata, content = frontmatter.parse(text, handler=_Handler())  # lines count from "---"
    return {k: v for k, v in metadata.items() if isinstance(k, str)}, content
