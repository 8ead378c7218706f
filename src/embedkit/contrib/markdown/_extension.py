"""The Python-Markdown extension: a postprocessor that calls :func:`embedkit.render_html`.

Markdown writes a URL on its own line as ``<p>URL</p>`` (and ``<URL>`` as a
link alone in its paragraph); after every other step has run, the
postprocessor hands the document's HTML to :func:`embedkit.render_html`, the
same autoembed rule and sanitizer as every other way of rendering a page, which
adds the scripts the embeds need once, at the end of the document.
"""

from __future__ import annotations

from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor

from embedkit.contrib._options import OPTION_NAMES, Options, parse_options, shared_resolver
from embedkit.page import render_html

__all__ = ["EmbedkitExtension"]

_WHERE = "embedkit.contrib.markdown"

_HELP = {
    "cache": "cache URL (sqlite:///path, memory://, redis://...); default EMBEDKIT_CACHE",
    "providers": "providers JSON file; default EMBEDKIT_PROVIDERS",
    "timeout": "seconds to wait for a provider; default EMBEDKIT_TIMEOUT, else 5",
    "allow_private_networks": "let URLs reach private addresses; EMBEDKIT_ALLOW_PRIVATE_NETWORKS",
    "consent": "consent placeholders instead of live embeds; default EMBEDKIT_CONSENT",
    "offline": "make no network request: cache, else fallbacks",
    "discovery": "let unknown URLs find their oEmbed endpoint (default true)",
    "show_deleted_text": "show the archived text of deleted posts",
    "template_dirs": "template folders searched first; default EMBEDKIT_TEMPLATES",
    "consent_script_url": "where pages load the consent script (default embedkit-consent.js)",
    "trusted_body": "keep the author's HTML as written (default: cleaned with an allowlist)",
    "env": "where EMBEDKIT_* variables are read from instead of os.environ",
    "resolver": "an embedkit.Resolver to use as it is",
}


class _EmbedPostprocessor(Postprocessor):
    def __init__(self, md: Markdown, options: Options) -> None:
        super().__init__(md)
        self.options = options

    def run(self, text: str) -> str:
        resolver = shared_resolver(self.options)
        return render_html(
            text,
            resolver,
            consent=resolver.consent,
            consent_script_url=self.options.consent_script_url,
            trusted_body=self.options.trusted_body,
        )


class EmbedkitExtension(Extension):
    """Turns standalone URLs into embeds; configured with the integrations' shared options.

    Options not given come from the ``EMBEDKIT_*`` environment variables. Every
    ``Markdown`` instance with the same options shares one resolver (MkDocs
    makes one per page).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.config = {name: [None, _HELP[name]] for name in OPTION_NAMES}
        super().__init__(**kwargs)
        self.options = parse_options(self.getConfigs(), where=_WHERE)

    def setConfig(self, key: str, value: Any) -> None:
        """Keep values as given (``parse_options`` checks them); name unknown ones."""
        if key not in self.config:
            parse_options({key: value}, where=_WHERE)  # raises the one-line ConfigError
        self.config[key][0] = value

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 1: after raw HTML is put back (30) and every other postprocessor.
        md.postprocessors.register(_EmbedPostprocessor(md, self.options), "embedkit", 1)
