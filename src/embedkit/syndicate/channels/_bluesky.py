"""The ``bluesky`` channel: an ``app.bsky.feed.post`` record through atproto's ``Client``.

The record carries the text, the post's facets (links, tags, mentions over
UTF-8 byte offsets, as the formatter computed them), its language, and a link
card (``app.bsky.embed.external``: URL, title, description and a thumbnail
blob, uploaded only when the image is at most 1,000,000 bytes; otherwise the
card goes without it and a warning is logged). Thread parts become replies.

**Sessions.** Logging in (``createSession``) is rate limited per account, so
the session is saved after the first login and reused by later runs: a JSON
file (mode 0600) under the platformdirs user data folder, keyed by PDS and
handle, rewritten whenever atproto refreshes the tokens. If the saved session
is refused, the channel logs in again with the app password, once.

**Idempotency.** Every record is created with a record key (``rkey``) derived
from the idempotency key (:func:`rkey_for`, a valid TID). Retrying the same
post asks for the same key; the PDS refuses a second record there, and the
channel then reads the existing record and reports it as published. So a retry
after a timeout cannot post twice, and the channel is ``idempotent``. Pass
``deterministic_rkey=False`` to let the PDS choose keys (then not idempotent).

Variables: ``EMBEDKIT_BLUESKY_HANDLE``, ``EMBEDKIT_BLUESKY_APP_PASSWORD`` (an
app password, not the account password), optional ``EMBEDKIT_BLUESKY_PDS``
(default ``https://bsky.social``).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import platformdirs
from atproto import Client, models
from atproto_client import exceptions as atx
from atproto_client.client.session import SessionEvent
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from embedkit._errors import ChannelError
from embedkit._redaction import get_logger
from embedkit.net._http import HttpClient
from embedkit.net._sent import was_sent
from embedkit.syndicate._models import Facet, Post, Published, RemotePost
from embedkit.syndicate.channels._base import classify_http_error, redact, require_env
from embedkit.syndicate.channels._media import Image, post_image

__all__ = [
    "DEFAULT_PDS",
    "ENV_HANDLE",
    "ENV_PASSWORD",
    "ENV_PDS",
    "MAX_THUMB_BYTES",
    "BlueskyChannel",
    "default_session_path",
    "rkey_for",
]

ENV_HANDLE = "EMBEDKIT_BLUESKY_HANDLE"
ENV_PASSWORD = "EMBEDKIT_BLUESKY_APP_PASSWORD"
ENV_PDS = "EMBEDKIT_BLUESKY_PDS"
DEFAULT_PDS = "https://bsky.social"
MAX_THUMB_BYTES = 1_000_000
COLLECTION = "app.bsky.feed.post"

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
#: Derived TIDs carry a timestamp inside [2023-01-01, +2**45 µs): a plausible past moment.
_TID_EPOCH_US = 1_672_531_200_000_000
_AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})

log = get_logger(__name__)
T = TypeVar("T")


def rkey_for(idempotency_key: str) -> str:
    """A record key (a syntactically valid TID) derived from an idempotency key.

    >>> rkey_for("k") == rkey_for("k"), len(rkey_for("k"))
    (True, 13)
    """
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    micros = _TID_EPOCH_US + (digest >> 19) % (1 << 45)
    clock_id = digest & 0x3FF
    value = (micros << 10) | clock_id  # top bit stays 0
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def default_session_path(pds: str, handle: str) -> Path:
    """Where the saved session for ``handle`` on ``pds`` lives (user data folder)."""
    digest = hashlib.sha256(f"{pds}\n{handle}".encode()).hexdigest()[:16]
    return platformdirs.user_data_path("embedkit") / f"bluesky-session-{digest}.json"


class BlueskyChannel:
    """Post to one Bluesky account."""

    name = "bluesky"

    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        pds: str = DEFAULT_PDS,
        timeout: float = 10.0,
        session_path: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        request: Request | None = None,
        http: HttpClient | None = None,
        image_loader: Callable[[str], Image] | None = None,
        deterministic_rkey: bool = True,
    ) -> None:
        self.handle = handle.lstrip("@")
        self.pds = pds.rstrip("/")
        self.timeout = timeout
        self.idempotent = deterministic_rkey
        self._password = app_password
        self.session_path = (
            Path(session_path)
            if session_path is not None
            else default_session_path(self.pds, self.handle)
        )
        if request is None:
            options: dict[str, Any] = {"timeout": timeout}
            if transport is not None:
                options["transport"] = transport
            request = Request(**options)
        self._client = Client(base_url=self.pds, request=request)
        self._client.on_session_change(self._on_session_change)
        self._http = http
        self._image_loader = image_loader
        self._did: str | None = None
        self._from_saved = False

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any
    ) -> BlueskyChannel:
        """Build from the ``EMBEDKIT_BLUESKY_*`` variables."""
        found = require_env("bluesky", env, [ENV_HANDLE, ENV_PASSWORD])
        pds = (env.get(ENV_PDS) or "").strip() or DEFAULT_PDS
        return cls(found[ENV_HANDLE], found[ENV_PASSWORD], pds=pds, timeout=timeout, **seams)

    def __repr__(self) -> str:
        return f"BlueskyChannel(handle={self.handle!r}, pds={self.pds!r}, app_password='***')"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.request.close()

    # -- sessions -------------------------------------------------------------------

    def _login(self) -> str:
        """Log in (saved session first), return the account's DID."""
        if self._did is not None:
            return self._did
        saved = self._load_session()
        if saved is not None:
            try:
                self._client.login(session_string=saved, fetch_bsky_profile=False)
                self._from_saved = True
            except (AtProtocolError, ValueError) as exc:
                log.info(
                    "bluesky: the saved session is unusable (%s); logging in", type(exc).__name__
                )
                saved = None
        if saved is None:
            self._password_login()
        self._did = self._current_did()
        return self._did

    def _password_login(self) -> None:
        try:
            self._client.login(self.handle, self._password, fetch_bsky_profile=False)
        except AtProtocolError as exc:
            raise self._error(exc, sent_means_ambiguous=False, doing="log in") from None
        self._from_saved = False

    def _current_did(self) -> str:
        session = getattr(self._client, "_session", None)
        did = getattr(session, "did", None)
        if not did:
            raise ChannelError("bluesky: logged in but the session names no account (DID)")
        return str(did)

    def _load_session(self) -> str | None:
        try:
            data = json.loads(self.session_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or (data.get("pds"), data.get("handle")) != (
            self.pds,
            self.handle,
        ):
            return None
        session = data.get("session")
        return session if isinstance(session, str) and session else None

    def _on_session_change(self, event: SessionEvent, session: Any) -> None:
        if event not in (SessionEvent.CREATE, SessionEvent.REFRESH):
            return
        try:
            self._save_session(self._client.export_session_string())
        except OSError as exc:
            log.warning("bluesky: could not save the session to %s: %s", self.session_path, exc)

    def _save_session(self, session_string: str) -> None:
        """Write the session file atomically, readable by the owner only."""
        self.session_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.session_path.with_name(self.session_path.name + f".{os.getpid()}.tmp")
        payload = json.dumps({"pds": self.pds, "handle": self.handle, "session": session_string})
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.session_path)

    def _call(self, doing: str, fn: Callable[[], T], *, sent_means_ambiguous: bool) -> T:
        """Run one XRPC call; log in again once if a saved session is refused."""
        try:
            return fn()
        except AtProtocolError as exc:
            if self._from_saved and _is_auth_error(exc):
                log.info("bluesky: the saved session was refused; logging in again")
                self._password_login()
                self._did = self._current_did()
                try:
                    return fn()
                except AtProtocolError as again:
                    exc = again
            raise self._error(exc, sent_means_ambiguous=sent_means_ambiguous, doing=doing) from None

    # -- publishing -----------------------------------------------------------------

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Create the post record (and its thread replies); return its AT URI and web URL."""
        did = self._login()
        record = self._record(post, post.text, post.facets, embed=self._embed(post))
        rkey = rkey_for(idempotency_key) if self.idempotent else None
        head = self._create(did, record, rkey)
        root = parent = head
        extra = {"cid": head.cid, "uri": head.uri}
        for index, part in enumerate(post.thread, start=1):
            reply = models.AppBskyFeedPost.ReplyRef(
                root=models.ComAtprotoRepoStrongRef.Main(uri=root.uri, cid=root.cid),
                parent=models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid),
            )
            part_record = self._record(post, part, (), reply=reply)
            part_key = rkey_for(f"{idempotency_key}-{index}") if self.idempotent else None
            try:
                parent = self._create(did, part_record, part_key)
            except ChannelError as exc:
                log.warning("bluesky: thread reply %d failed: %s", index, exc)
                extra["thread_error"] = f"reply {index}: {exc}"
                break
        return Published(id=head.uri, url=self._web_url(head.uri), extra=extra)

    def find(self, idempotency_key: str) -> RemotePost | None:
        """The post created with ``idempotency_key``, if it exists (deterministic rkeys only)."""
        did = self._login()
        found = self._get(did, rkey_for(idempotency_key))
        if found is None:
            return None
        return RemotePost(
            id=found.uri,
            text=str(getattr(found.value, "text", "") or ""),
            url=self._web_url(found.uri),
            created_at=_parse_time(getattr(found.value, "created_at", None)),
            idempotency_key=idempotency_key,
        )

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The account's latest post records, newest first."""
        did = self._login()
        params = models.ComAtprotoRepoListRecords.Params(
            repo=did, collection=COLLECTION, limit=max(1, min(limit, 100))
        )
        listing = self._call(
            "list records",
            lambda: self._client.com.atproto.repo.list_records(params),
            sent_means_ambiguous=False,
        )
        return [
            RemotePost(
                id=r.uri,
                text=str(getattr(r.value, "text", "") or ""),
                url=self._web_url(r.uri),
                created_at=_parse_time(getattr(r.value, "created_at", None)),
            )
            for r in listing.records
        ]

    def _create(self, did: str, record: Any, rkey: str | None) -> _Ref:
        data = models.ComAtprotoRepoCreateRecord.Data(
            repo=did, collection=COLLECTION, record=record, rkey=rkey
        )
        try:
            made = self._call(
                "create the post",
                lambda: self._client.com.atproto.repo.create_record(data),
                sent_means_ambiguous=True,
            )
        except ChannelError as exc:
            # A PDS refuses a second record at the same key (400 or 409 "already exists"),
            # and may have stored the first one despite answering 5xx: look before failing.
            if rkey is not None and exc.status is not None and exc.status not in (401, 429):
                try:
                    existing = self._get(did, rkey)
                except ChannelError:
                    existing = None
                if existing is not None:  # an earlier attempt got through: already posted
                    log.info("bluesky: %s already exists; not posting again", existing.uri)
                    return _Ref(existing.uri, str(existing.cid or ""))
            raise
        return _Ref(made.uri, made.cid)

    def _get(self, did: str, rkey: str) -> Any | None:
        params = models.ComAtprotoRepoGetRecord.Params(repo=did, collection=COLLECTION, rkey=rkey)
        try:
            return self._client.com.atproto.repo.get_record(params)
        except atx.BadRequestError as exc:
            if _xrpc_error(exc)[0] == "RecordNotFound":
                return None
            raise self._error(exc, sent_means_ambiguous=False, doing="read a record") from None
        except AtProtocolError as exc:
            raise self._error(exc, sent_means_ambiguous=False, doing="read a record") from None

    def _record(
        self,
        post: Post,
        text: str,
        facets: tuple[Facet, ...],
        *,
        embed: Any = None,
        reply: Any = None,
    ) -> Any:
        return models.AppBskyFeedPost.Record(
            text=text,
            created_at=self._client.get_current_time_iso(),
            langs=[post.lang] if post.lang else None,
            facets=[f for f in (_facet(x) for x in facets) if f is not None] or None,
            embed=embed,
            reply=reply,
        )

    def _embed(self, post: Post) -> Any:
        if post.card is not None:
            thumb = self._upload(post, card=True)
            return models.AppBskyEmbedExternal.Main(
                external=models.AppBskyEmbedExternal.External(
                    uri=post.card.url,
                    title=post.card.title,
                    description=post.card.description or "",
                    thumb=thumb,
                )
            )
        if post.image or post.image_file:
            blob = self._upload(post)
            if blob is not None:
                return models.AppBskyEmbedImages.Main(
                    images=[models.AppBskyEmbedImages.Image(alt="", image=blob)]
                )
        return None

    def _upload(self, post: Post, *, card: bool = False) -> Any | None:
        image = post_image(
            post,
            "bluesky",
            max_bytes=MAX_THUMB_BYTES,
            timeout=self.timeout,
            http=self._http,
            card=card,
            fetch=self._image_loader,
            note="posting the card without a thumbnail",
        )
        if image is None:
            return None

        def upload() -> Any:
            with warnings.catch_warnings():  # atproto hands httpx bytes as data=
                warnings.filterwarnings(
                    "ignore", message="Use 'content=", category=DeprecationWarning
                )
                return self._client.com.atproto.repo.upload_blob(
                    image.data, headers={"Content-Type": image.mime}
                )

        uploaded = self._call("upload the image", upload, sent_means_ambiguous=False)
        return uploaded.blob

    def _web_url(self, uri: str) -> str:
        rkey = uri.rsplit("/", 1)[-1]
        return f"https://bsky.app/profile/{self.handle}/post/{rkey}"

    # -- errors ---------------------------------------------------------------------

    def _error(
        self, exc: AtProtocolError, *, sent_means_ambiguous: bool, doing: str
    ) -> ChannelError:
        """Translate an atproto exception into a classified ChannelError."""
        secrets = [self._password]
        response = getattr(exc, "response", None)
        if isinstance(exc, atx.RequestErrorBase) and response is not None:
            name, message = _xrpc_error(exc)
            reason = redact(f"bluesky: could not {doing}: {name} {message}".strip(), secrets)
            retry_after = exc.retry_after if isinstance(exc, atx.RateLimitExceededError) else None
            error = classify_http_error(
                response.status_code, sent=True, retry_after=retry_after, reason=reason
            )
            if response.status_code == 409:  # atproto treats a conflict as retryable; we do not
                error.retryable = False
            return error
        if isinstance(exc, atx.NetworkError):
            cause = exc.__cause__ or exc.__context__
            sent = sent_means_ambiguous and was_sent(cause)
            what = type(cause).__name__ if cause is not None else "network error"
            return classify_http_error(
                None, sent=sent, reason=f"bluesky: could not {doing}: {what}"
            )
        if isinstance(exc, atx.LoginRequiredError):
            return ChannelError(f"bluesky: could not {doing}: not logged in")
        return ChannelError(redact(f"bluesky: could not {doing}: {type(exc).__name__}", secrets))


class _Ref:
    """A created record's strong reference."""

    __slots__ = ("cid", "uri")

    def __init__(self, uri: str, cid: str) -> None:
        self.uri = uri
        self.cid = cid


def _facet(facet: Facet) -> Any | None:
    index = models.AppBskyRichtextFacet.ByteSlice(
        byte_start=facet.byte_start, byte_end=facet.byte_end
    )
    feature: Any
    if facet.kind == "link":
        feature = models.AppBskyRichtextFacet.Link(uri=facet.value)
    elif facet.kind == "tag":
        feature = models.AppBskyRichtextFacet.Tag(tag=facet.value.lstrip("#"))
    elif facet.kind == "mention":
        feature = models.AppBskyRichtextFacet.Mention(did=facet.value)
    else:
        log.warning("bluesky: skipping a facet of unknown kind %r", facet.kind)
        return None
    return models.AppBskyRichtextFacet.Main(index=index, features=[feature])


def _xrpc_error(exc: atx.RequestErrorBase) -> tuple[str, str]:
    content = exc.response.content if exc.response is not None else None
    name = getattr(content, "error", None) or ""
    message = getattr(content, "message", None) or ""
    if isinstance(content, dict):
        name, message = str(content.get("error") or ""), str(content.get("message") or "")
    elif isinstance(content, bytes) and not name:
        message = content.decode("utf-8", "replace")[:300]
    return str(name), str(message)


def _is_auth_error(exc: AtProtocolError) -> bool:
    if isinstance(exc, atx.UnauthorizedError):
        return True
    if isinstance(exc, atx.BadRequestError):
        return _xrpc_error(exc)[0] in _AUTH_ERRORS
    return isinstance(exc, atx.LoginRequiredError)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
