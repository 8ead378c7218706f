"""The exception tree of embedkit.

Every error embedkit raises on purpose derives from :class:`EmbedkitError`, and
mixes in the builtin it resembles so that callers who only know Python's own
exceptions still catch it::

    EmbedkitError
    ├── InvalidReference (ValueError)       a reference that is not a usable URL
    ├── ConfigError (ValueError)            a bad setting, cache URL, providers file
    ├── DocumentError (ValueError)          a page to render that cannot be read or parsed
    ├── FetchError                          anything that went wrong talking to a provider
    │   ├── NotFound                        404 / 410: the post is gone
    │   ├── Forbidden                       401 / 403
    │   ├── RateLimited                     429, with ``retry_after`` seconds
    │   ├── ProviderError                   5xx
    │   ├── Timeout (TimeoutError)          connect/read timeout or total deadline
    │   ├── InvalidResponse (ValueError)    not JSON, wrong shape, too large, bad redirect
    │   ├── BlockedAddress                  the network guard refused an address
    │   └── ConnectionFailed (ConnectionError)
    ├── CacheError                          the cache backend failed
    └── SyndicationError
        ├── ArticleError (ValueError)       a malformed article file or feed
        ├── DoesNotFit (ValueError)         title + URL exceed a platform's limit
        ├── MissingCredential               an environment variable is not set
        ├── ChannelError                    a channel refused or failed a post
        └── LedgerError                     the ledger could not be read or written

Errors carry a message meant for a person; the CLI prints it and exits with
:attr:`EmbedkitError.exit_code`. Causes are chained with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "ArticleError",
    "BlockedAddress",
    "CacheError",
    "ChannelError",
    "ConfigError",
    "ConnectionFailed",
    "DocumentError",
    "DoesNotFit",
    "EmbedkitError",
    "FetchError",
    "Forbidden",
    "InvalidReference",
    "InvalidResponse",
    "LedgerError",
    "MissingCredential",
    "NotFound",
    "ProviderError",
    "RateLimited",
    "SyndicationError",
    "Timeout",
]


class EmbedkitError(Exception):
    """Root of every error embedkit raises on purpose."""

    exit_code: int = 1


class InvalidReference(EmbedkitError, ValueError):
    """A reference that cannot be resolved: not a URL, unsafe scheme, too long..."""

    exit_code = 2


class ConfigError(EmbedkitError, ValueError):
    """A setting, cache URL, template folder or providers file is unusable."""

    exit_code = 2


class DocumentError(EmbedkitError, ValueError):
    """A page given to the renderer cannot be read, decoded or parsed (front matter)."""

    exit_code = 2


class FetchError(EmbedkitError):
    """Talking to a provider (or a page) failed.

    ``status`` is the HTTP status when there was one; ``url`` is the URL that was
    requested, with any secret query parameters removed.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


class NotFound(FetchError):
    """The provider says the resource does not exist (404) or is gone (410)."""


class Forbidden(FetchError):
    """The provider refuses access (401/403): private post, missing token."""


class RateLimited(FetchError):
    """The provider asks us to slow down (429). ``retry_after`` is in seconds."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ):
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class ProviderError(FetchError):
    """The provider failed (5xx)."""


class Timeout(FetchError, TimeoutError):
    """A connect/read timeout or the total deadline passed."""


class InvalidResponse(FetchError, ValueError):
    """The provider answered with something that is not a usable oEmbed response."""


class BlockedAddress(FetchError):
    """The network guard refused to connect to a private or reserved address."""


class ConnectionFailed(FetchError, ConnectionError):
    """The connection could not be made or was cut."""


class CacheError(EmbedkitError):
    """The cache backend could not be read or written."""


class SyndicationError(EmbedkitError):
    """Root of the syndicator's errors."""


class ArticleError(SyndicationError, ValueError):
    """An article source is malformed or lacks a required field."""

    exit_code = 2


class DoesNotFit(SyndicationError, ValueError):
    """Even the parts that are never cut (title and URL) exceed the platform's limit."""


class MissingCredential(SyndicationError):
    """A channel needs an environment variable that is not set."""

    exit_code = 2


class ChannelError(SyndicationError):
    """A channel refused or failed a post.

    ``retryable`` says whether trying again may help (timeouts, 5xx, 429);
    ``ambiguous`` says the request may have been accepted even though we saw an
    error (a timeout after the request was sent), so a blind retry could post twice.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        ambiguous: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class LedgerError(SyndicationError):
    """The ledger could not be opened, read or written."""
