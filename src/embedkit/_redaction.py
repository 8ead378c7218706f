"""Keeping secrets out of output: the one home of redaction in embedkit.

Credentials reach embedkit only through environment variables (``..._TOKEN``,
``..._SECRET``, ``..._PASSWORD``, ``..._KEY``, ``..._WEBHOOK_URL``) and
configuration (a Redis password in the cache URL). Anything printed — error
messages, log lines, reprs — passes through this module first, so an API that
echoes a token back, or a library that logs the URL it requested, cannot leak it.

One mask (:data:`MASK`, ``***``) and one rule for secret names
(:func:`is_secret_name`) serve every caller:

- :func:`redact_url` hides a URL's password (``user:***@``) and the values of
  query parameters named like secrets (``access_token=***``);
- :func:`redact` hides, in any text, every configured secret in its plain,
  percent-encoded, base64 and differently-cased forms, ``name=value`` pairs whose
  name is secret-like, and ``Bearer``/``Basic`` credentials;
- :class:`RedactingFilter` applies :func:`redact` to log records. The library puts
  it on its own loggers (:func:`get_logger`) and on the ``httpx`` logger; the CLI
  also puts it on the root handler (``embedkit.cli._main.setup_logging``), and holds the
  third-party loggers that print credentials (:data:`THIRD_PARTY_LOGGERS`) at
  WARNING unless the user asks for them (``-vvv`` or ``EMBEDKIT_LOG_THIRD_PARTY=1``).

>>> redact("GET /oembed?access_token=1234%7Cabcd", secrets=["1234|abcd"])
'GET /oembed?access_token=***'
>>> redact_url("redis://app:hunter2@cache:6379/0?password=x&prefix=a")
'redis://app:***@cache:6379/0?password=***&prefix=a'
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "THIRD_PARTY_LOGGERS",
    "RedactingFilter",
    "env_secrets",
    "get_logger",
    "is_secret_name",
    "redact",
    "redact_url",
]

#: What every hidden value is replaced with.
MASK = "***"

#: Environment variables whose names end like these hold secrets.
_SECRET_SUFFIXES = ("TOKEN", "SECRET", "PASSWORD", "APP_PASSWORD", "KEY", "WEBHOOK_URL")
#: Shorter values are not masked in free text (too many false hits); URLs and
#: ``name=value`` pairs are masked whatever the length.
_MIN_SECRET = 6
#: Words that make a parameter or field name secret (``access_token``, ``apiKey``...).
_SECRET_WORDS = frozenset(
    {
        "apikey",
        "auth",
        "authorization",
        "bearer",
        "cookie",
        "credential",
        "credentials",
        "hmac",
        "jwt",
        "key",
        "pass",
        "passphrase",
        "passwd",
        "password",
        "pwd",
        "secret",
        "sessionid",
        "sig",
        "signature",
        "token",
        "verifier",
    }
)
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

#: Loggers of libraries embedkit drives that print URLs, headers or OAuth parameters.
THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "hpack",
    "urllib3",
    "requests",
    "requests_oauthlib",
    "oauthlib",
    "tweepy",
    "mastodon",
    "atproto",
    "atproto_client",
    "redis",
)


@functools.lru_cache(maxsize=1024)
def is_secret_name(name: str) -> bool:
    """True when a parameter or field called ``name`` holds a secret.

    The name is split into words (``access_token``, ``apiKey``, ``X-Api-Key``,
    ``oauth_signature``, percent-encoded names too); it is secret when one word
    is ``token``, ``secret``, ``password``, ``key``, ``sig``, ``auth``... So
    ``keyword`` and ``author`` are not.

    >>> [is_secret_name(n) for n in ("access_token", "apiKey", "keyword", "author", "url")]
    [True, True, False, False, False]
    """
    text = unquote(name) if "%" in name else name
    words = {word.lower() for word in _NAME_WORDS.findall(text)}
    if words & _SECRET_WORDS:
        return True
    compact = re.sub(r"[^a-z0-9]", "", text.lower())
    return compact in _SECRET_WORDS or compact.endswith(("apikey", "token", "secret", "password"))


# -- URLs ------------------------------------------------------------------------------


def _redact_query(query: str) -> str:
    pieces = re.split(r"([&;])", query)
    for index in range(0, len(pieces), 2):
        name, eq, _value = pieces[index].partition("=")
        if eq and is_secret_name(name):
            pieces[index] = f"{name}={MASK}"
    return "".join(pieces)


def redact_url(url: str) -> str:
    """``url`` with its password and the values of secret query parameters masked.

    The user name stays and the password becomes ``***``; userinfo without a
    colon may itself be a token and is masked whole. A query parameter is
    secret when :func:`is_secret_name` says so.

    >>> redact_url("https://graph.facebook.com/oembed_post?url=x&access_token=abc|123")
    'https://graph.facebook.com/oembed_post?url=x&access_token=***'
    >>> redact_url("redis://hunter2@h/1")
    'redis://***@h/1'
    """
    url = str(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url, secrets=())
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if colon else f"{MASK}@{hostport}"
    query = _redact_query(parts.query) if parts.query else parts.query
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# -- free text ---------------------------------------------------------------------------


def env_secrets(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of secret-looking environment variables (6 characters or more)."""
    source = os.environ if env is None else env
    found = {
        value.strip()
        for name, value in source.items()
        if name.upper().endswith(_SECRET_SUFFIXES) and len(value.strip()) >= _MIN_SECRET
    }
    return tuple(sorted(found))


def _char_forms(char: str) -> str:
    """A pattern for one character of a secret: itself, percent-encoded once or twice."""
    raw = char.encode("utf-8")
    encoded = "".join(f"%{byte:02X}" for byte in raw)
    twice = "".join(f"%25{byte:02X}" for byte in raw)  # an encoded URL inside a query
    forms = [re.escape(char), re.escape(encoded), re.escape(twice)]
    if char == " ":
        forms.append(r"\+")
    if char == "/":
        forms.append(r"\\/")  # JSON may escape a slash
    return "(?:" + "|".join(forms) + ")"


def _base64_cores(secret: bytes) -> set[str]:
    """The base64 text that encodes ``secret`` whatever its offset in a longer value.

    At each of the three byte alignments, keep only the characters that depend on
    the secret's bits alone, in the standard and the URL-safe alphabet.
    """
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii").rstrip("=")
        start = -(-8 * offset // 6)  # ceil: the first character free of the prefix
        end = (8 * (offset + len(secret))) // 6  # characters wholly inside the secret
        core = encoded[start:end]
        if len(core) >= _MIN_SECRET:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


@functools.lru_cache(maxsize=64)
def _secrets_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives: list[str] = []
    for secret in secrets:
        alternatives.append("".join(_char_forms(char) for char in secret))
        # Case mappings that change the length ("İ" → "i̇", "ß" → "SS") escape IGNORECASE.
        alternatives.extend(re.escape(form) for form in {secret.lower(), secret.upper()})
        alternatives.extend(re.escape(core) for core in _base64_cores(secret.encode("utf-8")))
    if not alternatives:
        return None
    # Longest first, so a secret containing another is masked whole.
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


#: ``name=value``, ``name="value"``, ``"name": "value"`` and ``'name': 'value'``. The
#: name may only start after a character that cannot be part of it, and is at most
#: 64 characters, so matching is linear in the text.
_PAIR = re.compile(
    r"""(?<![\w%.\-\[\]])(?P<q>["']?)(?P<name>[A-Za-z_][\w%.\-\[\]]{0,63})"""
    r"""(?P<sep>(?P=q)\s*:\s*["']|=\s*["']?)(?P<value>[^\s"'&#;,<>(){}\[\]]+)"""
)
#: ``Signature: abc…`` — an unquoted name, a colon, and a token-like value of 8+ characters.
_COLON_PAIR = re.compile(
    r"(?<![\w%.\-])(?P<name>[A-Za-z_][\w.\-]{0,63})(?P<sep>:[ \t]*)"
    r"(?P<value>[A-Za-z0-9+/=_\-.~%|]{8,})"
)
_SCHEME_CREDENTIAL = re.compile(
    r"(?i)(?<![\w-])(?P<scheme>bearer|basic)(?P<space>\s+)(?P<credential>[A-Za-z0-9._~+/=\-]{6,})"
)


#: ``//user:password@`` (or ``//token@``) in a URL inside free text.
_USERINFO = re.compile(r"//(?P<user>[^/?#@\s:]*)(?P<colon>:?)[^/?#@\s]*@")


def _mask_userinfo(match: re.Match[str]) -> str:
    if match.group("colon"):
        return f"//{match.group('user')}:{MASK}@"
    return f"//{MASK}@"


def _is_basic_credential(text: str) -> bool:
    """True when ``text`` is base64 of ``user:password`` ("basic settings" is prose)."""
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        return False
    return b":" in decoded


def _mask_credential(match: re.Match[str]) -> str:
    credential = match.group("credential")
    if match.group("scheme").lower() == "basic" and not _is_basic_credential(credential):
        return match.group(0)
    return f"{match.group('scheme')}{match.group('space')}{MASK}"


def _mask_pair(match: re.Match[str]) -> str:
    if not is_secret_name(match.group("name")):
        return match.group(0)
    quote = match.groupdict().get("q") or ""
    return f"{quote}{match.group('name')}{match.group('sep')}{MASK}"


def redact(
    text: str,
    secrets: Iterable[str | None] | Mapping[str, str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> str:
    """``text`` with every secret masked by ``***``.

    The secrets are ``secrets`` when given, plus the values of secret-looking
    environment variables in ``env`` (default ``os.environ``). Each is found in
    its plain, percent-encoded and base64 forms, in any letter case. Values of
    ``name=value`` pairs (and quoted ``"name": "value"`` pairs) whose name
    :func:`is_secret_name`, passwords in URLs (``//user:***@``) and
    ``Bearer``/``Basic`` credentials are masked too.
    A mapping given as ``secrets`` is read as the environment (``redact(text, env)``).

    >>> redact("POST /bot123:ABCDEF/sendMessage failed", ["123:ABCDEF"])
    'POST /bot***/sendMessage failed'
    >>> redact("header was Bearer AAAAsecretvalue", secrets=())
    'header was Bearer ***'
    """
    text = str(text)
    if isinstance(secrets, Mapping):
        env, secrets = secrets, None
    given = [s.strip() for s in secrets or () if s and len(s.strip()) >= 4]
    wanted = tuple(sorted({*given, *env_secrets(env)}))
    pattern = _secrets_pattern(wanted) if wanted else None
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "@" in text:
        text = _USERINFO.sub(_mask_userinfo, text)
    if "earer" in text or "asic" in text or "EARER" in text or "ASIC" in text:
        text = _SCHEME_CREDENTIAL.sub(_mask_credential, text)
    if "=" in text or ":" in text:
        text = _PAIR.sub(_mask_pair, text)
    if ":" in text:
        text = _COLON_PAIR.sub(_mask_pair, text)
    return text


# -- logging -------------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message, exception and stack.

    Put it on a handler (the CLI puts it on the root handler) to cover every
    record that handler writes, or on a logger to cover the records logged
    through that logger. ``hold`` names loggers (and their children) whose
    records below WARNING are dropped — the CLI holds :data:`THIRD_PARTY_LOGGERS`
    — without changing any logger's level; every other record passes, masked.
    """

    def __init__(self, env: Mapping[str, str] | None = None, *, hold: Iterable[str] = ()) -> None:
        super().__init__()
        self._env = env
        self._hold = tuple(hold)

    def _held(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return False
        name = record.name
        return any(name == held or name.startswith(held + ".") for held in self._hold)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._hold and self._held(record):
            return False
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: show what we have, masked
            message = f"{record.msg!s} {record.args!r}"
        masked = redact(message, env=self._env)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, env=self._env)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, env=self._env)
        return True


#: The one filter instance the library attaches to loggers.
_FILTER = RedactingFilter()


def _protect(logger: logging.Logger) -> logging.Logger:
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(_FILTER)
    return logger


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the redacting filter on it (embedkit's loggers)."""
    return _protect(logging.getLogger(name))


# httpx logs every request's full URL at INFO, and embedkit's Meta requests carry the
# app token in the query: mask it even for applications that show httpx's logs.
_protect(logging.getLogger("httpx"))
