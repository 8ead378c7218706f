"""Every option used by more than one command, defined once.

A command is a thin skin: it stacks these decorators, makes one library call
and prints. tests/cli/test_vocabulary.py walks the command tree and checks that
an option shared by several commands has the same name, metavar, default and
environment variable everywhere.

This module imports only click and the standard library, so ``embedkit
--help`` stays fast; library code is imported inside the commands.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from embedkit._config import DEFAULT_TIMEOUT
from embedkit.cli._paths import InputPath

if TYPE_CHECKING:
    from embedkit.resolve import Resolver

__all__ = [
    "CHANNEL_NAMES",
    "CHANNEL_TIMEOUT",
    "RUN_STATE",
    "cache_option",
    "channel_option",
    "channel_timeout_option",
    "common_options",
    "consent_option",
    "dry_run_option",
    "entry_option",
    "fetch_timeout_option",
    "format_option",
    "ledger_option",
    "open_resolver",
    "private_networks_option",
    "providers_option",
    "quiet_level",
    "resolver_options",
    "source_options",
    "thread_option",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds to wait for a channel's API, unless --channel-timeout says otherwise.
CHANNEL_TIMEOUT = 10.0

_VERBOSE = "embedkit.verbose"
_QUIET = "embedkit.quiet"
_LOG_FORMAT = "embedkit.log_format"


class _RunState:
    """What the error handler needs after the command's context is gone."""

    traceback: bool = False
    verbose: int = 0

    def reset(self) -> None:
        self.traceback = False
        self.verbose = 0


#: Reset by the root command at every start (tests run many commands in one process).
RUN_STATE = _RunState()


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


# -- every command -----------------------------------------------------------------


def _add(key: str) -> Callable[[click.Context, click.Parameter, int], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: int) -> None:
        if value:
            ctx.meta[key] = ctx.meta.get(key, 0) + value
            if key == _VERBOSE:
                RUN_STATE.verbose = ctx.meta[key]

    return callback


def _log_format(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_LOG_FORMAT] = value


def _traceback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        RUN_STATE.traceback = True


def quiet_level() -> int:
    """How many times -q/--quiet was given, on this command or a parent."""
    return int(click.get_current_context().meta.get(_QUIET, 0))


def common_options(*, narrate: bool = False) -> Callable[[F], F]:
    """``-v``, ``-q``, ``--log-format`` and ``--traceback``, on every command and group.

    The command's logging is set up from them (and from the same options given
    to a parent group) before it runs. ``narrate`` commands (post, run) log
    their progress at info level by default; the others log warnings.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from embedkit.cli._main import setup_logging

            meta = click.get_current_context().meta
            setup_logging(
                verbose=meta.get(_VERBOSE, 0),
                quiet=meta.get(_QUIET, 0),
                log_format=meta.get(_LOG_FORMAT, "text"),
                narrate=narrate,
            )
            return func(*args, **kwargs)

        options = _stack(
            click.option(
                "-v",
                "--verbose",
                count=True,
                expose_value=False,
                callback=_add(_VERBOSE),
                help="Say more on stderr: -v adds detail to errors and info logs, -vv "
                "debug, -vvv the HTTP and OAuth libraries' logs too. Secrets are masked "
                "at every level.",
            ),
            click.option(
                "-q",
                "--quiet",
                count=True,
                expose_value=False,
                callback=_add(_QUIET),
                help="Say less: only warnings and errors on stderr, and no output when "
                "nothing happened that needs a person.",
            ),
            click.option(
                "--log-format",
                type=click.Choice(["text", "json"]),
                default=None,
                expose_value=False,
                callback=_log_format,
                help="Log lines on stderr as text (default) or JSON lines for log shippers.",
            ),
            click.option(
                "--traceback",
                is_flag=True,
                expose_value=False,
                callback=_traceback,
                help="Show the Python traceback of an unexpected error (also EMBEDKIT_DEBUG=1).",
            ),
        )
        return options(wrapper)  # type: ignore[return-value]

    return decorate


class _Format(click.Choice):  # type: ignore[type-arg]
    """``text`` or ``json``, with old names accepted (``--format html`` on resolve)."""

    def __init__(self, aliases: dict[str, str] | None = None) -> None:
        super().__init__(["text", "json"])
        self.aliases = aliases or {}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(self.aliases.get(value, value), param, ctx)


def format_option(help: str, *, aliases: dict[str, str] | None = None) -> Callable[[F], F]:
    """``--format text|json``: readable text for people, JSON for machines."""
    return click.option(
        "--format",
        "fmt",
        type=_Format(aliases),
        default="text",
        show_default=True,
        help=help,
    )


# -- reading from the web ------------------------------------------------------------


def fetch_timeout_option(func: F) -> F:
    """``--fetch-timeout``: seconds to wait for a web server embedkit reads from."""
    return click.option(
        "--fetch-timeout",
        type=click.FloatRange(min=0.01),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        envvar="EMBEDKIT_TIMEOUT",
        show_envvar=True,
        metavar="SECONDS",
        help="Seconds to wait for a web server embedkit reads from: an oEmbed "
        "provider, a page, a feed, a registry URL.",
    )(func)


def private_networks_option(func: F) -> F:
    """``--allow-private-networks``."""
    return click.option(
        "--allow-private-networks",
        is_flag=True,
        default=False,
        envvar="EMBEDKIT_ALLOW_PRIVATE_NETWORKS",
        show_envvar=True,
        help="Let URLs reach loopback and private addresses (an intranet, tests).",
    )(func)


def cache_option(func: F) -> F:
    """``--cache URL``."""
    return click.option(
        "--cache",
        "cache_url",
        metavar="URL",
        envvar="EMBEDKIT_CACHE",
        show_envvar=True,
        help="Cache URL: sqlite:///path (default: embeds.db in the user cache "
        "folder), memory://, redis://host:port/db.",
    )(func)


def providers_option(func: F) -> F:
    """``--providers FILE``."""
    return click.option(
        "--providers",
        "providers_file",
        metavar="FILE",
        type=InputPath(),
        envvar="EMBEDKIT_PROVIDERS",
        show_envvar=True,
        help="Providers JSON file (oembed.com format) that adds to or replaces "
        "the bundled providers.",
    )(func)


def resolver_options(func: F) -> F:
    """--cache, --providers, --fetch-timeout, --allow-private-networks and --offline."""
    return _stack(
        cache_option,
        providers_option,
        fetch_timeout_option,
        private_networks_option,
        click.option(
            "--offline",
            is_flag=True,
            help="Make no network request: serve the cache, else fallbacks.",
        ),
    )(func)


def consent_option(func: F) -> F:
    """``--consent``."""
    return click.option(
        "--consent",
        is_flag=True,
        envvar="EMBEDKIT_CONSENT",
        show_envvar=True,
        help="Show each embed as its static fallback with a 'load' button; no "
        "third-party request before the reader clicks.",
    )(func)


# -- syndication -------------------------------------------------------------------


class _ChannelName(click.ParamType):  # type: ignore[type-arg]
    """A channel name, any case; checked against the known channels."""

    name = "channel"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from embedkit.syndicate.channels import CHANNELS

        name = str(value).strip().lower()
        if name not in CHANNELS:
            self.fail(
                f"unknown channel {value!r}; known channels: {', '.join(CHANNELS)}", param, ctx
            )
        return name


#: Shown in --help; tests/cli/test_vocabulary.py checks it against CHANNELS.
CHANNEL_NAMES = "x, mastodon, bluesky, threads, linkedin, telegram, slack, discord, file"


def channel_option(*, required: bool, help: str) -> Callable[[F], F]:
    """``--channel NAME`` (repeatable, case-insensitive)."""
    return click.option(
        "--channel",
        "channels",
        type=_ChannelName(),
        metavar="NAME",
        multiple=True,
        required=required,
        help=f"{help} ({CHANNEL_NAMES}; any case); repeat for several.",
    )


def ledger_option(func: F) -> F:
    """``--ledger URL``."""
    return click.option(
        "--ledger",
        "ledger_url",
        metavar="URL",
        envvar="EMBEDKIT_LEDGER",
        show_envvar=True,
        help="Ledger URL: sqlite:///relative.db or sqlite:////absolute/path.db "
        "(default: ledger.db in the user data folder).",
    )(func)


def entry_option(func: F) -> F:
    """``--entry N``: one entry of a feed (negative counts from the end)."""
    return click.option(
        "--entry",
        type=int,
        default=None,
        metavar="N",
        help="Which entry to use when the source is a feed or a list: 0 is the "
        "first, -1 the last (default: the first).",
    )(func)


def thread_option(func: F) -> F:
    """``--thread``."""
    return click.option(
        "--thread",
        is_flag=True,
        help="Split a long summary into a numbered thread (x, mastodon, bluesky).",
    )(func)


#: Where hashtags come from (see ``--tags-from``).
TagsFrom = Literal["tags", "keywords"]


def tags_from_option(func: F) -> F:
    """``--tags-from tags|keywords``."""
    return click.option(
        "--tags-from",
        type=click.Choice(["tags", "keywords"]),
        default=None,
        metavar="KIND",
        help="Hashtags from the article's own tags only (tags), or also from the "
        "source's SEO keywords (keywords). [default: tags, or the source's "
        "#tags-from= setting]",
    )(func)


def page_url_option(func: F) -> F:
    """``--page-url URL``: the address of a saved page or feed that declares none."""
    return click.option(
        "--page-url",
        "page_url",
        metavar="URL",
        default=None,
        help="The address of a saved page or feed file that does not declare one "
        "(no og:url or canonical link; relative feed links resolve against it).",
    )(func)


def dry_run_option(func: F) -> F:
    """``--dry-run``: nothing is claimed, posted, created or written."""
    return click.option(
        "--dry-run",
        is_flag=True,
        help="Show what would be posted; claim, post, create and write nothing.",
    )(func)


def channel_timeout_option(func: F) -> F:
    """``--channel-timeout``: seconds to wait for a channel's API."""
    return click.option(
        "--channel-timeout",
        type=click.FloatRange(min=0.01),
        default=CHANNEL_TIMEOUT,
        show_default=True,
        envvar="EMBEDKIT_CHANNEL_TIMEOUT",
        show_envvar=True,
        metavar="SECONDS",
        help="Seconds to wait for a channel's API when posting or reading posts back.",
    )(func)


def source_options(*, folders: bool) -> Callable[[F], F]:
    """The article source, as ``SOURCE`` or ``--source SOURCE`` (the same for every command).

    The command gets ``source`` (checked: an existing readable file, a folder
    when ``folders``, or an http(s) URL).
    """
    what = (
        "a file, a folder of files, a feed or an article URL"
        if folders
        else ("an article file, a feed or an article URL")
    )
    hint = "" if folders else "; use `embedkit syndicate run` for a folder of articles"
    kind = InputPath(folder_ok=folders, url_ok=True, hint=hint)

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, source_arg: str | None, source_opt: str | None, **kw: Any) -> Any:
            if source_arg is not None and source_opt is not None and source_arg != source_opt:
                raise click.UsageError("give the source once: as SOURCE or as --source")
            source = source_arg if source_arg is not None else source_opt
            if source is None:
                raise click.UsageError(f"say where the article comes from: SOURCE ({what})")
            return func(*args, source=source, **kw)

        return _stack(
            click.argument("source_arg", metavar="[SOURCE]", required=False, type=kind),
            click.option(
                "--source",
                "source_opt",
                metavar="SOURCE",
                type=kind,
                help=f"The same as the SOURCE argument: {what}.",
            ),
        )(wrapper)  # type: ignore[return-value]

    return decorate


def _check_template_folders() -> None:
    """Name a template folder from EMBEDKIT_TEMPLATES that is missing or not a folder."""
    import os

    from embedkit._errors import ConfigError
    from embedkit.cli._paths import input_problem, shown

    for folder in os.environ.get("EMBEDKIT_TEMPLATES", "").split(os.pathsep):
        problem = folder and input_problem(folder, folder_ok=True, file_ok=False)
        if problem:
            shown_folder = shown(folder)
            raise ConfigError(f"template folder {shown_folder} (from EMBEDKIT_TEMPLATES) {problem}")


def open_resolver(
    *,
    cache_url: str | None,
    providers_file: str | None,
    fetch_timeout: float,
    allow_private_networks: bool,
    offline: bool,
    consent: bool = False,
) -> Resolver:
    """Build the Resolver the shared options describe.

    A cache that cannot be used (a damaged file, a folder nobody can write)
    never costs the page: one warning on stderr, and the command carries on
    without a cache (docs/cache.md). A cache URL that is wrong (a folder, a
    device, an unknown scheme) is a usage error.
    """
    from embedkit._errors import CacheError
    from embedkit.cli._term import echo
    from embedkit.resolve import Resolver
    from embedkit.resolve.cache import open_cache

    _check_template_folders()
    try:
        cache = open_cache(cache_url)
    except CacheError as exc:
        from embedkit._redaction import redact

        echo(
            f"Warning: {redact(str(exc))}; carrying on without the cache "
            "(nothing is read from or saved to it this time)",
            err=True,
        )
        cache = open_cache("memory://")
    try:
        return Resolver(
            cache=cache,
            providers=providers_file,
            timeout=fetch_timeout,
            allow_private_networks=allow_private_networks,
            offline=offline,
            consent=consent,
        )
    except BaseException:
        cache.close()
        raise
