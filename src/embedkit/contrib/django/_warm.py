"""``embedkit_warm``: resolve every embed URL stored in some model fields.

The URLs are the ones pages would embed: standalone URLs by the page layer's
autoembed rule (:func:`embedkit.page.find_standalone_urls`), so a URL field,
a plain-text field with a URL on its own line and a rich-text field with a URL
in its own paragraph all count. Rows are streamed (``.iterator()``); each URL
is resolved once, all of them in one concurrent ``resolve_many``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import CommandError, OutputWrapper
from django.db import models

from embedkit._errors import ConfigError, InvalidReference
from embedkit._models import Embed
from embedkit.contrib.django._settings import get_resolver
from embedkit.page import find_standalone_urls
from embedkit.resolve import parse_ref

__all__ = ["embed_urls_in", "warm"]


def _field(label: str) -> tuple[type[models.Model], str]:
    parts = label.split(".")
    if len(parts) != 3 or not all(parts):
        raise CommandError(f"{label!r} is not app_label.Model.field")
    app_label, model_name, field_name = parts
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        raise CommandError(f"{label!r}: there is no model {app_label}.{model_name}") from None
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise CommandError(f"{label!r}: {model_name} has no field {field_name!r}") from None
    if not getattr(field, "concrete", False) or field.many_to_many or field.is_relation:
        raise CommandError(f"{label!r}: {field_name} is not a stored text field")
    return model, field_name


def _valid(url: str) -> bool:
    try:
        parse_ref(url)
    except InvalidReference:
        return False
    return True


def embed_urls_in(labels: Iterable[str]) -> Iterator[str]:
    """The embeddable URLs stored in the fields ``labels`` name, in order, with repeats."""
    targets = [(label, *_field(label)) for label in labels]
    for label, model, name in targets:
        rows = model._default_manager.values_list(name, flat=True).iterator()
        for value in rows:
            if value is None:
                continue
            if not isinstance(value, str):
                raise CommandError(f"{label!r} holds {type(value).__name__} values, not text")
            yield from (url for url in find_standalone_urls(value) if _valid(url))


#: The statuses in the summary's order: the resolver pipeline's.
_STATUSES = ("fresh", "cached", "stale", "gone", "fallback")


def _plain(text: str) -> str:
    return text


class _Progress:
    """``Resolving embeds: n/total`` on stderr, redrawn in place on a terminal."""

    def __init__(self, total: int, stderr: OutputWrapper, show: bool) -> None:
        self.total = total
        self.done = 0
        self.stderr = stderr
        self.show = show and stderr.isatty()
        self.lock = threading.Lock()

    def tick(self, embed: Embed) -> None:
        with self.lock:
            self.done += 1
            if self.show:
                line = f"\rResolving embeds: {self.done}/{self.total}"
                end = "\n" if self.done == self.total else ""
                self.stderr.write(line, style_func=_plain, ending=end)


def warm(
    labels: Sequence[str],
    *,
    refresh: bool,
    verbosity: int,
    stdout: OutputWrapper,
    stderr: OutputWrapper,
) -> Counter[str]:
    """Resolve the URLs in ``labels``' fields; report by ``verbosity``; count by status.

    Verbosity 0 prints nothing, 1 a progress counter (on a terminal) and a
    summary, 2 also each URL with its status.
    """
    try:
        resolver = get_resolver()
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc
    urls = list(dict.fromkeys(embed_urls_in(labels)))
    progress = _Progress(len(urls), stderr, verbosity >= 1)
    embeds = resolver.resolve_many(urls, refresh=refresh, on_result=progress.tick)
    statuses: Counter[str] = Counter(e.status for e in embeds)
    if verbosity >= 2:
        for url, found in zip(urls, embeds, strict=True):
            stdout.write(f"{found.status:<8} {url}")
    if verbosity >= 1:
        counts = ", ".join(f"{statuses[s]} {s}" for s in _STATUSES if statuses[s])
        stdout.write(f"Resolved {len(urls)} embed URLs" + (f": {counts}" if counts else ""))
    return statuses
