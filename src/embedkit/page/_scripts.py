"""What template integrations share: the scripts a page's embeds need, and a recording source.

A template engine renders embeds one at a time (``{{ url | embed }}`` in Jinja,
``{% embed %}`` in Django, a Wagtail finder) and emits their scripts once, at the
end of the page. :class:`ScriptCollection` is that bookkeeping, written once: it
notes what each embed needs (its provider scripts, or in consent mode the scripts
its placeholder lists, which become the consent script's allow list) and turns them
into ``<script>`` tags, each emitted once per page.

>>> from embedkit import Embed
>>> page = ScriptCollection()
>>> page.add(Embed(ref="u", url="u", status="fresh", provider="Twitter", html="<p>x</p>",
...                scripts=("https://platform.twitter.com/widgets.js",)))
>>> page.tags()
'<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\\n'
>>> page.tags()  # each script once per page
''
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jinja2

from embedkit._models import Embed
from embedkit.page._render import (
    CONSENT_SCRIPT_NAME,
    EmbedSource,
    has_consent_placeholder,
    placeholder_scripts,
    script_tags,
)

__all__ = ["RecordingSource", "ScriptCollection"]


class ScriptCollection:
    """The scripts one page's embeds need, in first-seen order, and those already emitted.

    ``consent`` turns true once an embed is a consent placeholder: the page then
    loads the one consent script, whose allow list is :attr:`scripts`.
    """

    def __init__(self) -> None:
        self.scripts: dict[str, None] = {}
        self.consent = False
        self.emitted: set[str] = set()

    def add(self, embed: Embed) -> None:
        """Note what ``embed`` needs: its scripts, or its consent placeholder's."""
        if has_consent_placeholder(embed.html):
            self.consent = True
            self.scripts.update(dict.fromkeys(placeholder_scripts(embed.html)))
        else:
            self.scripts.update(dict.fromkeys(embed.scripts))

    def take(self, other: ScriptCollection) -> None:
        """Add what ``other`` collected (embeds rendered apart from the page)."""
        self.consent = self.consent or other.consent
        self.scripts.update(other.scripts)

    def tags(
        self, *, nonce: str | None = None, consent_script_url: str = CONSENT_SCRIPT_NAME
    ) -> str:
        """The ``<script>`` tags not emitted yet, and remember them as emitted."""
        tags = script_tags(
            self.scripts,
            nonce=nonce,
            consent=self.consent,
            consent_script_url=consent_script_url,
            present=self.emitted,
        )
        self.emitted.update(self.scripts)
        if self.consent:
            self.emitted.add(consent_script_url)
        return tags


class RecordingSource:
    """An :class:`~embedkit.page.EmbedSource` over a resolver that remembers every embed.

    Rendering a page through it tells afterwards which embeds the page asked for
    (for a summary line, or for the scripts of embeds inserted by
    :func:`~embedkit.page._render.embed_urls`). It passes the resolver's
    ``environment`` through, so :func:`~embedkit.render_document` takes it too.
    """

    def __init__(self, source: EmbedSource) -> None:
        self.source = source
        self.embeds: list[Embed] = []

    @property
    def consent(self) -> bool:
        return bool(self.source.consent)

    @property
    def environment(self) -> jinja2.Environment:
        environment = getattr(self.source, "environment", None)
        if not isinstance(environment, jinja2.Environment):
            raise TypeError(f"{self.source!r} has no template environment")
        return environment

    def resolve_many(self, refs: Iterable[str]) -> Sequence[Embed]:
        found = self.source.resolve_many(refs)
        self.embeds.extend(found)
        return found
