"""References: parse what an editor pasted and canonicalize it to one URL per post.

:func:`parse_ref` turns a pasted reference (a URL in any of the shapes people
copy from apps and browsers) into a :class:`~embedkit._models.Ref` whose ``url``
is the *canonical* URL: the same post always gives the same URL, whichever host
alias, tracking parameters, trailing ``/photo/1`` or fragment it was pasted
with, and that URL is one the provider's oEmbed endpoint accepts. The cache
keys on it.

Anything that is not a usable http(s) URL raises
:class:`~embedkit._errors.InvalidReference` (and nothing else), with a message
that names the problem and quotes a shortened, escaped form of the input;
passwords in ``user:password@`` are never echoed.

>>> parse_ref("https://twitter.com/Reuters/status/1636227126391214081?s=20&t=abc").url
'https://x.com/reuters/status/1636227126391214081'
>>> canonicalize("youtu.be/dQw4w9WgXcQ?si=xyz")
'https://www.youtube.com/watch?v=dQw4w9WgXcQ'

Which parser reads a URL is decided by its host, through the platform records
(:func:`embedkit._platforms.for_host`); :data:`_PARSERS` maps each platform id to its
parser. Fediverse posts (Mastodon, Pleroma/Akkoma, Misskey, GoToSocial) are
recognised by their path shape on any other host.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urlsplit

from embedkit import _platforms
from embedkit._errors import InvalidReference
from embedkit._models import Ref
from embedkit._parse.urls import is_tracking_parameter
from embedkit._redaction import redact

__all__ = ["MAX_REF_LENGTH", "canonicalize", "parse_ref"]

#: References longer than this are refused (browsers and providers cap URLs near here).
MAX_REF_LENGTH = 2048

_SHOWN_LENGTH = 80
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_PORT_ONLY_RE = re.compile(r"^[A-Za-z0-9.-]+:\d+(?:[/?#]|$)")
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_HEX = "0123456789ABCDEFabcdef"
# RFC 3986 pchar (without '%', handled separately) and the extra characters of a query.
_PATH_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
)
_QUERY_SAFE = _PATH_SAFE | frozenset("?")

_SECRETS_RE = re.compile(
    r"(?i)((?:access_)?token|api_key|apikey|key|password|passwd|secret|sig)=[^&#\s]*"
)
_USERINFO_RE = re.compile(r"(//)[^/?#@]*@")


# --------------------------------------------------------------------------- errors


def _shown(raw: str) -> str:
    """The input as quoted in error messages: secrets masked, escaped, shortened."""
    text = redact(raw[: _SHOWN_LENGTH * 4], secrets=())
    cut = len(text) > _SHOWN_LENGTH
    text = text[:_SHOWN_LENGTH]
    out = []
    for char in text:
        if char.isprintable() and not (char.isspace() and char != " "):
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return '"' + "".join(out) + ("…" if cut else "") + '"'


def _invalid(problem: str, raw: str) -> InvalidReference:
    return InvalidReference(f"{problem}: {_shown(raw)}")


# --------------------------------------------------------------------------- URL pieces


@dataclass(frozen=True, slots=True)
class _Url:
    """A split, normalized http(s) URL (host lowercased and IDNA-encoded)."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: tuple[tuple[str, str | None], ...]  # (name, value); value None for a bare "name"
    fragment: str  # as pasted; kept in URLs only when it is a "#/route" or "#!/route"

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name and value:
                return value
        return None

    def build(
        self,
        *,
        host: str | None = None,
        path: str | None = None,
        query: tuple[tuple[str, str | None], ...] | None = None,
        scheme: str = "https",
    ) -> str:
        """Assemble a URL; the port is kept only when neither host nor scheme change."""
        netloc = host if host is not None else self.host
        if host is None and self.port is not None and scheme == self.scheme:
            netloc = f"{netloc}:{self.port}"
        q = self.query if query is None else query
        text = f"{scheme}://{netloc}{path if path is not None else self.path}"
        if q:
            text += "?" + "&".join(k if v is None else f"{k}={v}" for k, v in q)
        if self.fragment.startswith(("/", "!")):  # a client-side route, not an anchor
            text += "#" + _requote(self.fragment, _QUERY_SAFE)
        return text


@functools.lru_cache(maxsize=8)
def _quoted(safe: frozenset[str]) -> re.Pattern[str]:
    """Text that needs no requoting: ``safe`` characters and uppercase ``%XX`` escapes."""
    chars = "".join(re.escape(char) for char in sorted(safe - {"%"}))
    return re.compile(rf"(?:[{chars}]|%[0-9A-F]{{2}})*")


def _requote(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what must be encoded, keep valid escapes (uppercased): idempotent."""
    if _quoted(safe).fullmatch(text):
        return text  # the common case, decided at C speed
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX:
            out.append("%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{b:02X}" for b in char.encode("utf-8"))
        i += 1
    return "".join(out)


def _is_tracking(name: str) -> bool:
    return is_tracking_parameter(name)


def _split_query(query: str) -> tuple[tuple[str, str | None], ...]:
    pairs: list[tuple[str, str | None]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        name = _requote(name, _QUERY_SAFE)
        if not name or _is_tracking(unquote(name)):
            continue
        pairs.append((name, _requote(value, _QUERY_SAFE | {"="}) if sep else None))
    return tuple(pairs)


def _host(raw_host: str, raw: str) -> str:
    """Lowercase, IDNA-encode and check a host name (IP literals pass through)."""
    host = raw_host.rstrip(".").lower()
    if not host:
        raise _invalid("no host in the URL", raw)
    if host.startswith("["):
        if not re.fullmatch(r"\[[0-9a-f:.]+\]", host):
            raise _invalid("malformed IPv6 host", raw)
        return host
    if not host.isascii():
        import idna  # httpx's own dependency; imported only for international names

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            raise _invalid("invalid international host name", raw) from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise _invalid(f"invalid host name {host[:64]!r}", raw)
    return host


def _split(text: str, raw: str) -> _Url:
    """Split an http(s) URL text into normalized pieces, refusing unusable ones."""
    try:
        parts: SplitResult = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _invalid(f"malformed URL ({exc})", raw) from None
    scheme = parts.scheme.lower()
    if "@" in parts.netloc:
        raise _invalid("credentials (user:password@) are not allowed in a reference", raw)
    host_part = parts.netloc
    if host_part.startswith("["):
        host_part = host_part[: host_part.find("]") + 1]
    else:
        host_part = host_part.rsplit(":", 1)[0] if ":" in host_part else host_part
    host = _host(host_part, raw)
    if port is not None and (port == 0 or (scheme, port) in (("http", 80), ("https", 443))):
        port = None
    path = _requote(parts.path, _PATH_SAFE) or "/"
    return _Url(scheme, host, port, path, _split_query(parts.query), parts.fragment)


def _clean(raw: object) -> str:
    """Strip the wrapping people paste around URLs and refuse what is not text."""
    if not isinstance(raw, str):
        raise InvalidReference(f"a reference must be a string, not {type(raw).__name__}")
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text:
        raise InvalidReference("empty reference: paste a post URL")
    if len(text) > MAX_REF_LENGTH:
        raise _invalid(f"reference longer than {MAX_REF_LENGTH:,} characters", raw)
    if text.isascii() and text.isprintable() and " " not in text:
        return text  # printable ASCII without spaces: nothing below can refuse it
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            what = "whitespace" if char.isspace() else "a control or invisible character"
            if char.isspace() and "://" not in text and "." not in text.split()[0]:
                raise _invalid("not a URL (no scheme and no host name)", raw)  # "not a url"
            raise _invalid(f"{what} (U+{ord(char):04X}) inside the URL", raw)
    return text


def _with_scheme(text: str, raw: str) -> str:
    """Return ``text`` as an http(s) URL, adding https:// to a bare host/path."""
    if text.startswith("//"):
        return "https:" + text
    found = _SCHEME_RE.match(text)
    if found and not _PORT_ONLY_RE.match(text):
        scheme = found.group(1).lower()
        if scheme not in ("http", "https"):
            raise _invalid(f"the {scheme}: scheme is not allowed, only http and https", raw)
        if not text[found.end() :].startswith("//"):
            raise _invalid("not a URL (no host after the scheme)", raw)
        return text
    first = re.split(r"[/?#]", text, maxsplit=1)[0]
    if "." not in first.strip(".") and not first.startswith("localhost"):
        raise _invalid("not a URL (no scheme and no host name)", raw)
    return "https://" + text


# --------------------------------------------------------------------------- platform parsers


@dataclass(frozen=True, slots=True)
class _Found:
    url: str
    kind: str
    post_id: str | None = None
    handle: str | None = None
    needs_redirect: bool = False
    no_oembed: bool = False


_Rule = Callable[[_Url], _Found]

_NUM = re.compile(r"^\d{1,20}$")
_X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_X_RESERVED = frozenset(
    {"i", "intent", "search", "hashtag", "home", "notifications", "explore", "settings",
     "messages", "compose", "share", "login", "signup", "tos", "privacy", "web"}
)  # fmt: skip
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _drop(u: _Url, names: set[str]) -> tuple[tuple[str, str | None], ...]:
    return tuple((k, v) for k, v in u.query if k.lower() not in names)


def _x(u: _Url) -> _Found:
    segs = u.segments
    if u.fragment.startswith("!/"):  # the old #!/user/status/id links
        segs = [s for s in u.fragment[2:].split("?")[0].split("/") if s]
    if len(segs) >= 4 and segs[:3] in (["i", "web", "status"],) and _NUM.match(segs[3]):
        return _Found(f"https://x.com/i/status/{segs[3]}", "x", segs[3])
    if len(segs) >= 3 and segs[0] in ("i", "web") and segs[1] == "status" and _NUM.match(segs[2]):
        return _Found(f"https://x.com/i/status/{segs[2]}", "x", segs[2])
    if (
        len(segs) >= 3
        and _X_HANDLE.match(segs[0])
        and segs[1] in ("status", "statuses")
        and _NUM.match(segs[2])
    ):
        handle, post_id = segs[0], segs[2]
        return _Found(f"https://x.com/{handle.lower()}/status/{post_id}", "x", post_id, handle)
    query = _drop(u, {"s", "t", "ref_src", "ref_url", "src", "lang"})
    maybe = segs[0] if segs and _X_HANDLE.match(segs[0]) else None
    maybe = None if maybe and maybe.lower() in _X_RESERVED else maybe
    return _Found(u.build(host="x.com", query=query), "x", handle=maybe)


_YT_DROP = {"t", "si", "feature", "pp", "ab_channel", "list", "index", "start_radio", "pbjreload"}


def _youtube(u: _Url) -> _Found:
    segs = u.segments
    video: str | None = None
    forms = ("shorts", "live", "embed", "v", "e")
    if len(segs) >= 2 and segs[0] in forms:  # also youtu.be/shorts/ID, as Hypothesis found
        video = segs[1]
    elif u.host.endswith("youtu.be"):
        video = segs[0] if segs else None
    elif segs and segs[0] in ("watch", "watch_popup"):
        video = u.param("v") or (segs[1] if len(segs) == 2 else None)  # also /watch/ID
    elif not segs:
        video = u.param("v")  # youtube.com/?v=ID
    elif segs == ["attribution_link"]:  # attribution_link?u=/watch?v=ID&feature=share
        inner = unquote(u.param("u") or "")
        found = re.match(r"^/watch\?(?:.*&)?v=([A-Za-z0-9_-]{11})(?:&|$)", inner)
        video = found.group(1) if found else None
    if video and _YT_ID.match(video) and video != "videoseries":
        return _Found(f"https://www.youtube.com/watch?v={video}", "youtube", video)
    listed = u.param("list")
    if listed and segs and segs[0] in ("playlist", "embed", "watch"):
        return _Found(f"https://www.youtube.com/playlist?list={listed}", "youtube")
    channel = _youtube_channel(segs)
    if channel is not None:  # channel pages have no oEmbed: a card shows them
        path, handle = channel
        return _Found(f"https://www.youtube.com{path}", "youtube", None, handle, no_oembed=True)
    host = u.host if u.host.startswith("music.") else "www.youtube.com"
    query = _drop(u, _YT_DROP - {"list"})
    handle = segs[0][1:] if segs and segs[0].startswith("@") else None
    return _Found(u.build(host=host, query=query), "youtube", handle=handle)


_YT_HANDLE = re.compile(r"^@[A-Za-z0-9._-]{1,100}$")
_YT_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_YT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_YT_TABS = frozenset(
    {"featured", "videos", "shorts", "streams", "live", "playlists", "community", "about",
     "channels", "podcasts", "releases", "store", "search", "posts"}
)  # fmt: skip


def _youtube_channel(segs: list[str]) -> tuple[str, str | None] | None:
    """(canonical path, handle) of a channel page in any of its forms and tabs."""
    if segs and _YT_HANDLE.match(segs[0]) and (len(segs) == 1 or segs[1] in _YT_TABS):
        return f"/{segs[0]}", segs[0][1:]
    if len(segs) >= 2 and (len(segs) == 2 or segs[2] in _YT_TABS):
        if segs[0] == "channel" and _YT_CHANNEL.match(segs[1]):
            return f"/channel/{segs[1]}", None
        if segs[0] in ("c", "user") and _YT_NAME.match(segs[1]):
            return f"/{segs[0]}/{segs[1]}", segs[1]
    return None


def _share_link(segs: list[str], kinds: tuple[str, ...]) -> bool:
    """``/share/{code}`` or ``/share/{kind}/{code}``: a share link that carries its code."""
    if len(segs) == 2 and segs[0] == "share":
        return bool(_CODE.match(segs[1]))
    return len(segs) == 3 and segs[0] == "share" and segs[1] in kinds and bool(_CODE.match(segs[2]))


def _instagram(u: _Url) -> _Found:
    segs = u.segments
    if _share_link(segs, ("p", "reel", "reels", "tv")):  # share links redirect to the post
        return _Found(u.build(host="www.instagram.com", query=()), "instagram", needs_redirect=True)
    user = None
    if len(segs) >= 3 and segs[1] in ("p", "reel", "reels", "tv"):
        user, segs = segs[0], segs[1:]
    if len(segs) >= 2 and segs[0] in ("p", "reel", "reels", "tv") and _CODE.match(segs[1]):
        kind = "reel" if segs[0] == "reels" else segs[0]
        url = f"https://www.instagram.com/{kind}/{segs[1]}/"
        return _Found(url, "instagram", segs[1], user)
    return _Found(u.build(host="www.instagram.com"), "instagram")


_BSKY_ACTOR = re.compile(r"^(?:did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z0-9-]+)$")
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")


def _bluesky_post(actor: str, rkey: str) -> _Found | None:
    actor = unquote(actor)
    if not (_BSKY_ACTOR.match(actor) and _RKEY.match(rkey)):
        return None
    is_did = actor.startswith("did:")
    actor = actor if is_did else actor.lower()
    url = f"https://bsky.app/profile/{actor}/post/{rkey}"
    return _Found(url, "bluesky", rkey, None if is_did else actor)


def _bluesky(u: _Url) -> _Found:
    segs = u.segments
    if len(segs) >= 4 and segs[0] == "profile" and segs[2] == "post":
        found = _bluesky_post(segs[1], segs[3])
        if found:
            return found
    return _Found(u.build(host="bsky.app"), "bluesky")


_AT_URI = re.compile(r"^at://([^/?#]+)/app\.bsky\.feed\.post/([^/?#]+)/?$")

_TT_USER = re.compile(r"^@[A-Za-z0-9_.]{0,64}$")


def _tiktok(u: _Url) -> _Found:
    segs = u.segments
    short = u.host in ("vm.tiktok.com", "vt.tiktok.com") and len(segs) == 1
    if (short or (len(segs) == 2 and segs[0] == "t")) and _CODE.match(segs[-1]):
        return _Found(u.build(query=()), "tiktok", needs_redirect=True)  # a short link's code
    if (
        len(segs) >= 3
        and _TT_USER.match(segs[0])
        and segs[1] in ("video", "photo")
        and _NUM.match(segs[2])
    ):
        user = segs[0][1:]
        url = f"https://www.tiktok.com/@{user}/{segs[1]}/{segs[2]}"
        return _Found(url, "tiktok", segs[2], user or None)
    video = _tiktok_video(segs)
    if video is not None:  # the player's and old mobile forms: the id without a user
        return _Found(f"https://www.tiktok.com/embed/v2/{video}", "tiktok", video)
    host = "www.tiktok.com" if u.host in ("tiktok.com", "m.tiktok.com") else u.host
    query = _drop(u, {"is_from_webapp", "sender_device", "is_copy_url", "_r", "_t", "web_id"})
    return _Found(u.build(host=host, query=query), "tiktok")


def _tiktok_video(segs: list[str]) -> str | None:
    """The video id in ``/embed/v2/{id}``, ``/embed/{id}``, ``/v/{id}.html``, ``/share/video/{id}``.

    The player's forms and old mobile links carry the id without a user.
    """
    if len(segs) == 3 and segs[:2] == ["embed", "v2"]:
        candidate = segs[2]
    elif len(segs) == 2 and segs[0] in ("embed", "v"):
        candidate = segs[1].removesuffix(".html")
    elif len(segs) == 3 and segs[:2] == ["share", "video"]:
        candidate = segs[2]
    else:
        return None
    return candidate if _NUM.match(candidate) else None


def _threads(u: _Url) -> _Found:
    segs = u.segments
    if len(segs) >= 2 and segs[0] == "t" and _CODE.match(segs[1]):  # redirects to /@user/post/
        url = f"https://www.threads.net/t/{segs[1]}"
        return _Found(url, "threads", segs[1], needs_redirect=True)
    if len(segs) >= 3 and segs[0].startswith("@") and segs[1] == "post" and _CODE.match(segs[2]):
        user = segs[0][1:]
        return _Found(f"https://www.threads.net/@{user}/post/{segs[2]}", "threads", segs[2], user)
    return _Found(u.build(host="www.threads.net", query=_drop(u, {"xmt", "slof"})), "threads")


def _vimeo(u: _Url) -> _Found:
    segs = u.segments
    if u.host == "player.vimeo.com" and segs and segs[0] == "video":
        segs = segs[1:]
    video_at = None
    if segs and _NUM.match(segs[0]):
        video_at = 0
    elif len(segs) >= 3 and segs[0] in ("channels", "album", "showcase", "groups"):
        last = 3 if len(segs) > 3 and segs[2] in ("video", "videos") else 2
        if last < len(segs) and _NUM.match(segs[last]):
            video_at = last
    if video_at is not None:
        video = segs[video_at]
        rest = segs[video_at + 1 :]
        unlisted = rest[0] if rest else u.param("h")
        if unlisted and not re.fullmatch(r"[0-9a-f]{6,20}", unlisted):
            unlisted = None
        url = f"https://vimeo.com/{video}" + (f"/{unlisted}" if unlisted else "")
        return _Found(url, "vimeo", video)
    host = "vimeo.com" if u.host == "www.vimeo.com" else u.host
    return _Found(u.build(host=host), "vimeo")


def _facebook(u: _Url) -> _Found:
    segs = u.segments
    base = "https://www.facebook.com"
    if u.host in ("fb.watch", "www.fb.watch"):
        short = len(segs) == 1 and bool(_CODE.match(segs[0]))
        return _Found(u.build(host="fb.watch", query=()), "facebook", needs_redirect=short)
    if _share_link(segs, ("p", "v", "r")):  # /share/{code}/, /share/p/{code}/...
        return _Found(u.build(host="www.facebook.com", query=()), "facebook", needs_redirect=True)
    if len(segs) >= 3 and segs[1] == "posts":
        return _Found(f"{base}/{segs[0]}/posts/{segs[2]}", "facebook", segs[2], segs[0])
    if len(segs) >= 3 and segs[1] == "videos":
        video = next((s for s in segs[2:] if _NUM.match(s)), None)
        if video:
            return _Found(f"{base}/{segs[0]}/videos/{video}/", "facebook", video, segs[0])
    if segs in (["watch"], ["video.php"]) and (u.param("v") or u.param("id")):
        video = u.param("v") or u.param("id") or ""
        if _NUM.match(video):
            return _Found(f"{base}/video.php?v={video}", "facebook", video)
    if segs in (["permalink.php"], ["story.php"]) and u.param("story_fbid") and u.param("id"):
        story, page = u.param("story_fbid"), u.param("id")
        return _Found(f"{base}/{segs[0]}?story_fbid={story}&id={page}", "facebook", story)
    if segs in (["photo.php"], ["photo"]) and u.param("fbid"):
        fbid = u.param("fbid")
        return _Found(f"{base}/photo.php?fbid={fbid}", "facebook", fbid)
    query = _drop(u, {"sfnsn", "extid", "ref", "paipv", "eav", "_rdr", "rdc", "mibextid"})
    return _Found(u.build(host="www.facebook.com", query=query), "facebook")


_REDDIT_ID = re.compile(r"^[a-z0-9]{1,13}$")


def _reddit(u: _Url) -> _Found:
    segs = u.segments
    if u.host in ("redd.it", "www.redd.it") and len(segs) == 1 and _REDDIT_ID.match(segs[0]):
        return _Found(u.build(host="redd.it", query=()), "reddit", segs[0], needs_redirect=True)
    if len(segs) >= 3 and segs[-2] == "s" and segs[0] in ("r", "u", "user"):
        return _Found(u.build(query=()), "reddit", needs_redirect=True)
    if len(segs) >= 4 and segs[0] in ("r", "u", "user") and segs[2] == "comments":
        first = "user" if segs[0] == "u" else segs[0]
        url = "https://www.reddit.com/" + "/".join([first, *segs[1:]]) + "/"
        return _Found(url, "reddit", segs[3])
    if len(segs) >= 2 and segs[0] in ("comments", "gallery") and _REDDIT_ID.match(segs[1]):
        # no subreddit in the URL: Reddit redirects to the post's full address
        url = f"https://www.reddit.com/{segs[0]}/{segs[1]}/"
        return _Found(url, "reddit", segs[1], needs_redirect=True)
    return _Found(u.build(host="www.reddit.com"), "reddit")


_SPOTIFY_TYPES = ("track", "album", "playlist", "episode", "show", "artist", "audiobook", "user")


def _spotify(u: _Url) -> _Found:
    segs = u.segments
    if u.host == "spotify.link":
        return _Found(u.build(query=()), "spotify", needs_redirect=True)
    if segs and re.fullmatch(r"intl-[A-Za-z_-]+", segs[0]):
        segs = segs[1:]
    if segs and segs[0] == "embed":
        segs = segs[1:]
    if len(segs) >= 2 and segs[0] in _SPOTIFY_TYPES and _CODE.match(segs[1]):
        return _Found(f"https://open.spotify.com/{segs[0]}/{segs[1]}", "spotify", segs[1])
    return _Found(u.build(host="open.spotify.com", query=_drop(u, {"si"})), "spotify")


_SC_API = re.compile(r"^https?://api\.soundcloud\.com/(tracks|playlists)/([0-9]{1,20})/?$")


def _soundcloud(u: _Url) -> _Found:
    if u.host == "on.soundcloud.com":
        return _Found(u.build(query=()), "soundcloud", needs_redirect=True)
    segs = u.segments
    if u.host == "w.soundcloud.com":  # the player: the track is in ?url=
        inner = unquote(u.param("url") or "")
        api = _SC_API.match(inner)
        if api:
            target = quote(f"https://api.soundcloud.com/{api[1]}/{api[2]}", safe="")
            url = f"https://w.soundcloud.com/player/?url={target}"
            return _Found(url, "soundcloud", api[2], no_oembed=True)
        if inner.startswith(("https://soundcloud.com/", "http://soundcloud.com/")):
            try:
                found = _split(_clean(inner), inner)
            except InvalidReference:
                found = None
            if found is not None and found.host == "soundcloud.com" and found.segments:
                return _soundcloud(found)
        return _Found(u.build(query=u.query), "soundcloud")
    query = _drop(u, {"si", "ref", "p", "c", "in", "in_system_playlist"})
    handle = segs[0] if segs else None
    return _Found(u.build(host="soundcloud.com", query=query), "soundcloud", handle=handle)


def _flickr(u: _Url) -> _Found:
    segs = u.segments
    if u.host == "flic.kr":
        return _Found(u.build(query=()), "flickr", segs[-1] if len(segs) >= 2 else None)
    if len(segs) >= 3 and segs[0] == "photos" and _NUM.match(segs[2]):
        url = f"https://www.flickr.com/photos/{segs[1]}/{segs[2]}/"
        return _Found(url, "flickr", segs[2], segs[1])
    return _Found(u.build(host="www.flickr.com"), "flickr")


_DM_ID = re.compile(r"^[A-Za-z0-9]{5,24}$")


def _dailymotion(u: _Url) -> _Found:
    segs = u.segments
    video: str | None = None
    if u.host in ("dai.ly", "www.dai.ly") and len(segs) == 1:
        video = segs[0]
    elif "video" in segs[:-1]:  # /video/{id}, /embed/video/{id}, /swf/video/{id}, /{lang}/video/
        video = segs[segs.index("video") + 1].split("_", 1)[0]  # /video/x2jvvep_a-slug
    elif len(segs) == 2 and segs[0] == "swf":
        video = segs[1]
    elif u.host == "geo.dailymotion.com" or (segs and segs[0] in ("player", "player.html")):
        video = u.param("video")
    if video and _DM_ID.match(video):
        return _Found(f"https://www.dailymotion.com/video/{video}", "dailymotion", video)
    return _Found(u.build(host="www.dailymotion.com"), "dailymotion")


_TWITCH_NAME = re.compile(r"^[A-Za-z0-9_]{2,25}$")
_TWITCH_CLIP = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_TWITCH_RESERVED = frozenset(
    {"directory", "downloads", "jobs", "p", "search", "settings", "subscriptions", "turbo",
     "inventory", "wallet", "drops", "friends", "messages", "login", "signup", "privacy",
     "store", "prime", "bits", "broadcast", "creatorcamp", "moderator", "u", "popout", "team",
     "collections", "videos", "embed", "clip", "user", "help", "legal", "security", "products",
     "following", "activate", "redeem", "annual-recap"}
)  # fmt: skip
_TWITCH_TABS = frozenset({"about", "videos", "clips", "schedule", "home"})


def _twitch_video(video: str) -> _Found:
    return _Found(f"https://www.twitch.tv/videos/{video}", "twitch", video, no_oembed=True)


def _twitch_clip(slug: str, channel: str | None = None) -> _Found:
    url = f"https://clips.twitch.tv/{slug}"
    return _Found(url, "twitch", slug, channel, no_oembed=True)


def _twitch_channel(name: str) -> _Found:
    url = f"https://www.twitch.tv/{name.lower()}"
    return _Found(url, "twitch", None, name, no_oembed=True)


def _twitch(u: _Url) -> _Found:
    """Twitch has no oEmbed: videos, clips and channels are embedded with its player."""
    segs = u.segments
    if u.host == "player.twitch.tv":
        video, channel, clip = u.param("video"), u.param("channel"), u.param("clip")
        if video and _NUM.match(video.removeprefix("v")):
            return _twitch_video(video.removeprefix("v"))
        if clip and _TWITCH_CLIP.match(clip):
            return _twitch_clip(clip)
        collection = u.param("collection")
        if collection and _TWITCH_CLIP.match(collection):
            url = f"https://www.twitch.tv/collections/{collection}"
            return _Found(url, "twitch", collection, no_oembed=True)
        if channel and _TWITCH_NAME.match(channel):
            return _twitch_channel(channel)
    elif u.host == "clips.twitch.tv":
        slug = u.param("clip") if segs == ["embed"] else (segs[-1] if segs else None)
        if slug and _TWITCH_CLIP.match(slug) and slug != "embed" and len(segs) <= 2:
            return _twitch_clip(slug, segs[0] if len(segs) == 2 else None)
    elif len(segs) >= 2 and segs[0] == "videos" and _NUM.match(segs[1]):
        return _twitch_video(segs[1])
    elif len(segs) == 2 and segs[0] == "clip" and _TWITCH_CLIP.match(segs[1]):
        return _twitch_clip(segs[1])
    elif len(segs) == 2 and segs[0] == "collections" and _TWITCH_CLIP.match(segs[1]):
        url = f"https://www.twitch.tv/collections/{segs[1]}"
        return _Found(url, "twitch", segs[1], no_oembed=True)
    elif segs and _TWITCH_NAME.match(segs[0]) and segs[0].lower() not in _TWITCH_RESERVED:
        rest = segs[1:]
        if len(rest) >= 2 and rest[0] in ("v", "video", "videos") and _NUM.match(rest[1]):
            return _twitch_video(rest[1])
        if len(rest) >= 2 and rest[0] == "clip" and _TWITCH_CLIP.match(rest[1]):
            return _twitch_clip(rest[1], segs[0])
        if not rest or (len(rest) == 1 and rest[0] in _TWITCH_TABS):
            return _twitch_channel(segs[0])
    host = "www.twitch.tv" if u.host in ("twitch.tv", "m.twitch.tv", "go.twitch.tv") else u.host
    return _Found(u.build(host=host), "twitch")


#: Each platform id → the parser that canonicalizes its URLs. Which hosts route to a
#: platform is the platform record's business (:func:`embedkit._platforms.for_host`).
_PARSERS: dict[str, _Rule] = {
    "x": _x,
    "youtube": _youtube,
    "instagram": _instagram,
    "bluesky": _bluesky,
    "tiktok": _tiktok,
    "threads": _threads,
    "vimeo": _vimeo,
    "facebook": _facebook,
    "reddit": _reddit,
    "spotify": _spotify,
    "soundcloud": _soundcloud,
    "flickr": _flickr,
    "dailymotion": _dailymotion,
    "twitch": _twitch,
}

_MASTODON_USER = r"[A-Za-z0-9_.-]{1,64}"
_MASTODON_PATHS = (
    re.compile(rf"^/(?:web/)?@({_MASTODON_USER}(?:@[A-Za-z0-9.-]+)?)/(\d{{1,20}})/?$"),
    re.compile(rf"^/users/({_MASTODON_USER})/statuses/(\d{{1,20}})/?$"),
)


def _origin(u: _Url) -> str:
    """``https://host[:port]`` of an instance (``http`` only for a local, ported one)."""
    netloc = u.host if u.port is None else f"{u.host}:{u.port}"
    scheme = "http" if u.scheme == "http" and u.port is not None else "https"
    return f"{scheme}://{netloc}"


def _mastodon(u: _Url) -> _Found | None:
    """A post on any Mastodon-compatible instance, recognised by its path shape."""
    for pattern in _MASTODON_PATHS:
        found = pattern.match(u.path)
        if found:
            user, status = found.groups()
            return _Found(f"{_origin(u)}/@{user}/{status}", "mastodon", status, user)
    return None


#: GoToSocial status ids are ULIDs.
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_GOTOSOCIAL_PATHS = (
    re.compile(rf"^/@({_MASTODON_USER})/statuses/({_ULID})/?$"),
    re.compile(rf"^/users/({_MASTODON_USER})/statuses/({_ULID})/?$"),
)
#: Pleroma/Akkoma: a flake id under /notice/, an ActivityPub object UUID under /objects/.
_PLEROMA_PATH = re.compile(
    r"^/(notice|objects)/([0-9A-Za-z]{16,22}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?$"
)
#: Misskey note ids: aid (10), aidx (16), meid/objectid (24 hex), meidg (g + 23 hex), ULID.
_MISSKEY_PATH = re.compile(
    rf"^/notes/([0-9a-z]{{10}}|[0-9a-z]{{16}}|g?[0-9a-f]{{23,24}}|{_ULID})/?$"
)


def _fediverse(u: _Url) -> _Found | None:
    """A post on a fediverse server that is not Mastodon-shaped, by path shape on any host."""
    for pattern in _GOTOSOCIAL_PATHS:
        found = pattern.match(u.path)
        if found:
            user, status = found.groups()
            url = f"{_origin(u)}/@{user}/statuses/{status}"
            return _Found(url, "gotosocial", status, user)
    found = _PLEROMA_PATH.match(u.path)
    if found:
        kind, post = found.groups()
        return _Found(f"{_origin(u)}/{kind}/{post}", "pleroma", post)
    found = _MISSKEY_PATH.match(u.path)
    if found:
        return _Found(f"{_origin(u)}/notes/{found.group(1)}", "misskey", found.group(1))
    return None


def _parser_for(host: str) -> _Rule | None:
    """The parser for a host's platform, or ``None`` for a host no platform owns."""
    platform = _platforms.for_host(host)
    return _PARSERS.get(platform.id) if platform is not None else None


# --------------------------------------------------------------------------- public API


def _special_scheme(text: str) -> str | None:
    """Translate the non-http URIs we understand (at://, spotify:) to their web URLs."""
    if text[:5].lower() == "at://":
        found = _AT_URI.match(text)
        return f"https://bsky.app/profile/{found.group(1)}/post/{found.group(2)}" if found else None
    found = re.fullmatch(r"(?i)spotify:([a-z]+):([A-Za-z0-9]{1,64})", text)
    if found and found.group(1).lower() in _SPOTIFY_TYPES:
        return f"https://open.spotify.com/{found.group(1).lower()}/{found.group(2)}"
    return None


def _parse(text: str, raw: str, depth: int = 0) -> Ref:
    url = _split(_with_scheme(_special_scheme(text) or text, raw), raw)
    if url.path in ("/plugins/video.php", "/plugins/post.php") and depth == 0:
        href = url.param("href")  # Facebook embed plugin: the post is in href=
        if href and _parser_for(url.host) is _facebook:
            try:
                inner = _parse(_clean(unquote(href)), raw, depth + 1)
            except InvalidReference:
                inner = None
            if inner is not None and inner.kind == "facebook":
                return inner
    rule = _parser_for(url.host)
    found = rule(url) if rule else (_mastodon(url) or _fediverse(url))
    if found is None:
        return Ref(raw=raw, url=url.build(scheme=url.scheme))
    return Ref(
        raw=raw,
        url=found.url,
        kind=found.kind,
        post_id=found.post_id,
        handle=found.handle,
        needs_redirect=found.needs_redirect,
        no_oembed=found.no_oembed,
    )


def parse_ref(raw: str) -> Ref:
    """Parse and canonicalize a pasted post reference.

    Accepts a full http(s) URL, a bare ``x.com/...``-style URL (https is
    assumed), an ``at://`` Bluesky post URI or a ``spotify:track:...`` URI, with
    surrounding whitespace or ``<...>``. Raises
    :class:`~embedkit._errors.InvalidReference` (only) when it is not usable.

    >>> ref = parse_ref("https://mobile.twitter.com/Reuters/status/1636227126391214081/photo/1")
    >>> (ref.url, ref.kind, ref.handle, ref.post_id)
    ('https://x.com/reuters/status/1636227126391214081', 'x', 'Reuters', '1636227126391214081')
    """
    text = _clean(raw)
    return _parse(text, raw)


def canonicalize(raw: str) -> str:
    """Return the canonical URL of a reference (``parse_ref(raw).url``)."""
    return parse_ref(raw).url
