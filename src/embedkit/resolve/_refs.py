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

The family rules live in :data:`_FAMILIES` (host → rule) plus the Mastodon rule,
which recognises a post by its path shape on any host.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from embedkit._errors import InvalidReference
from embedkit._models import Ref
from embedkit.net._redaction import redact

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

#: Query parameters that only track where a link was shared; dropped everywhere.
_TRACKING = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "ref_url",
        "mibextid", "rdid", "share_url", "__cft__[0]", "__tn__", "_hsenc", "_hsmi",
        "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "__cft__")


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


def _requote(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what must be encoded, keep valid escapes (uppercased): idempotent."""
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
    lowered = name.lower()
    return lowered in _TRACKING or lowered.startswith(_TRACKING_PREFIXES)


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
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            what = "whitespace" if char.isspace() else "a control or invisible character"
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


# --------------------------------------------------------------------------- families


@dataclass(frozen=True, slots=True)
class _Found:
    url: str
    kind: str
    post_id: str | None = None
    handle: str | None = None
    needs_redirect: bool = False


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
        video = u.param("v")
    if video and _YT_ID.match(video) and video != "videoseries":
        return _Found(f"https://www.youtube.com/watch?v={video}", "youtube", video)
    listed = u.param("list")
    if listed and segs and segs[0] in ("playlist", "embed", "watch"):
        return _Found(f"https://www.youtube.com/playlist?list={listed}", "youtube")
    host = u.host if u.host.startswith("music.") else "www.youtube.com"
    query = _drop(u, _YT_DROP - {"list"})
    handle = segs[0][1:] if segs and segs[0].startswith("@") else None
    return _Found(u.build(host=host, query=query), "youtube", handle=handle)


def _instagram(u: _Url) -> _Found:
    segs = u.segments
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
    if u.host in ("vm.tiktok.com", "vt.tiktok.com") or (segs and segs[0] == "t"):
        return _Found(u.build(query=()), "tiktok", needs_redirect=True)
    if (
        len(segs) >= 3
        and _TT_USER.match(segs[0])
        and segs[1] in ("video", "photo")
        and _NUM.match(segs[2])
    ):
        user = segs[0][1:]
        url = f"https://www.tiktok.com/@{user}/{segs[1]}/{segs[2]}"
        return _Found(url, "tiktok", segs[2], user or None)
    host = "www.tiktok.com" if u.host == "tiktok.com" else u.host
    query = _drop(u, {"is_from_webapp", "sender_device", "is_copy_url", "_r", "_t", "web_id"})
    return _Found(u.build(host=host, query=query), "tiktok")


def _threads(u: _Url) -> _Found:
    segs = u.segments
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
    if u.host == "fb.watch":
        return _Found(u.build(query=()), "facebook", needs_redirect=True)
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


def _reddit(u: _Url) -> _Found:
    segs = u.segments
    if u.host == "redd.it" or (
        len(segs) >= 3 and segs[-2] == "s" and segs[0] in ("r", "u", "user")
    ):
        return _Found(u.build(query=()), "reddit", needs_redirect=True)
    if len(segs) >= 4 and segs[0] in ("r", "u", "user") and segs[2] == "comments":
        url = "https://www.reddit.com/" + "/".join(segs) + "/"
        return _Found(url, "reddit", segs[3])
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


def _soundcloud(u: _Url) -> _Found:
    if u.host == "on.soundcloud.com":
        return _Found(u.build(query=()), "soundcloud", needs_redirect=True)
    segs = u.segments
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


def _www(*names: str) -> tuple[str, ...]:
    """Each host name with and without ``www.``."""
    return tuple(host for name in names for host in (name, "www." + name))


_FAMILY_HOSTS: tuple[tuple[_Rule, tuple[str, ...]], ...] = (
    (_x, (*_www("twitter.com", "x.com"), "mobile.twitter.com", "mobile.x.com")),
    (
        _youtube,
        (*_www("youtube.com", "youtu.be", "youtube-nocookie.com"), "m.youtube.com",
         "music.youtube.com"),
    ),
    (_instagram, (*_www("instagram.com", "instagr.am"), "m.instagram.com")),
    (_bluesky, _www("bsky.app")),
    (_tiktok, (*_www("tiktok.com"), "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com")),
    (_threads, _www("threads.net", "threads.com")),
    (_vimeo, (*_www("vimeo.com"), "player.vimeo.com")),
    (
        _facebook,
        (*_www("facebook.com", "fb.watch"), "m.facebook.com", "mbasic.facebook.com",
         "web.facebook.com", "touch.facebook.com"),
    ),
    (
        _reddit,
        (*_www("reddit.com", "redd.it"),
         *_www(*(f"{name}.reddit.com" for name in ("old", "new", "np", "m", "i")))),
    ),
    (_spotify, ("open.spotify.com", "play.spotify.com", "spotify.link")),
    (_soundcloud, (*_www("soundcloud.com"), "m.soundcloud.com", "on.soundcloud.com")),
    (_flickr, (*_www("flickr.com", "flic.kr"), "m.flickr.com", "secure.flickr.com")),
)  # fmt: skip

#: host → the rule that canonicalizes that family's URLs.
_FAMILIES: dict[str, _Rule] = {host: rule for rule, hosts in _FAMILY_HOSTS for host in hosts}

_FB_LOCALE = re.compile(r"^[a-z]{2}-[a-z]{2}\.facebook\.com$")
_MASTODON_USER = r"[A-Za-z0-9_.-]{1,64}"
_MASTODON_PATHS = (
    re.compile(rf"^/(?:web/)?@({_MASTODON_USER}(?:@[A-Za-z0-9.-]+)?)/(\d{{1,20}})/?$"),
    re.compile(rf"^/users/({_MASTODON_USER})/statuses/(\d{{1,20}})/?$"),
)


def _mastodon(u: _Url) -> _Found | None:
    """A post on any Mastodon-compatible instance, recognised by its path shape."""
    for pattern in _MASTODON_PATHS:
        found = pattern.match(u.path)
        if found:
            user, status = found.groups()
            netloc = u.host if u.port is None else f"{u.host}:{u.port}"
            url = f"https://{netloc}/@{user}/{status}"
            if u.scheme == "http" and u.port is not None:
                url = f"http://{netloc}/@{user}/{status}"  # a local/dev instance
            return _Found(url, "mastodon", status, user)
    return None


def _family_rule(host: str) -> _Rule | None:
    rule = _FAMILIES.get(host)
    if rule is None and _FB_LOCALE.match(host):
        rule = _facebook
    return rule


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
        if href and _family_rule(url.host) is _facebook:
            try:
                inner = _parse(_clean(unquote(href)), raw, depth + 1)
            except InvalidReference:
                inner = None
            if inner is not None and inner.kind == "facebook":
                return inner
    rule = _family_rule(url.host)
    found = rule(url) if rule else _mastodon(url)
    if found is None:
        return Ref(raw=raw, url=url.build(scheme=url.scheme))
    return Ref(
        raw=raw,
        url=found.url,
        kind=found.kind,
        post_id=found.post_id,
        handle=found.handle,
        needs_redirect=found.needs_redirect,
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
