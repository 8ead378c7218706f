"""Fake social platforms: real HTTP servers on 127.0.0.1 for the channel and job tests.

Every fake is a threading HTTP server on a random local port that records each
request (method, path, query, lower-case headers, body) and injects the faults
real platforms produce. Faults are queued per request and consumed in order::

    fake = FakeMastodon(token="t0ken").start()
    fake.fault("status", status=500, times=2)   # the next two posts get a 500
    fake.fault("rate_limit", retry_after=1)     # then a 429 with Retry-After: 1
    fake.fault("hang", seconds=2)               # then no answer for 2 s (nothing created)
    fake.fault("accept_then_hang")              # then: create the post, wait, answer late
    fake.fault("drop")                          # then: read the request, close the socket
    ...
    fake.stop()

By default a fault applies to the fake's *posting* endpoint (``POST
/api/v1/statuses`` for Mastodon, ``createRecord`` for Bluesky, any POST for the
recorder); pass ``method=``/``path=`` to aim elsewhere. ``times=None`` keeps a
fault forever.

Hooks: ``fake.on_request(req)`` runs before a request is handled;
``fake.on_post(post)`` runs after a post was accepted (it exists server side)
and before the response is sent, which is where a crash test kills the client.

- :class:`FakeMastodon`: what Mastodon.py calls (statuses with Idempotency-Key,
  verify_credentials, account statuses, instance v1/v2, media v1/v2).
- :class:`FakeBluesky`: the XRPC methods atproto's ``Client`` uses (sessions,
  createRecord with optional ``rkey``, uploadBlob, listRecords, getAuthorFeed).
- :class:`FakeHttpRecorder`: a generic server for webhooks, Telegram, Threads and
  LinkedIn with scripted responses.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import LocalHTTPServer

__all__ = [
    "DEFAULT_HANG",
    "FakeBluesky",
    "FakeHttpRecorder",
    "FakeMastodon",
    "Fault",
    "Reply",
    "Request",
    "refused_url",
    "sample_post",
    "wait_for",
]

#: How long "hang" faults wait by default: longer than any client timeout in tests.
DEFAULT_HANG = 30.0

FAULT_KINDS = ("status", "rate_limit", "hang", "accept_then_hang", "drop", "malformed")


@dataclass(frozen=True)
class Request:
    """One request a fake received. ``headers`` has lower-case names."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    raw_path: str = ""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded`` (or multipart fields)."""
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            return {k: [v.decode("utf-8", "replace")] for k, v in self.multipart().items()}
        out: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.body.decode("utf-8"), keep_blank_values=True):
            out.setdefault(key, []).append(value)
        return out

    def multipart(self) -> dict[str, bytes]:
        """The parts of a ``multipart/form-data`` body, by field name."""
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        parts: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True)
                parts[name] = payload if isinstance(payload, bytes) else b""
        return parts


@dataclass(frozen=True)
class Reply:
    """A scripted response: status, body bytes and headers."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON response."""
        hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(data).encode("utf-8"), hdrs)


@dataclass
class Fault:
    """A queued fault; ``times`` counts down (None = forever)."""

    kind: str
    method: str | None
    path: str | None
    times: int | None = 1
    status: int = 500
    retry_after: float | None = None
    seconds: float = DEFAULT_HANG
    body: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        if self.method is not None and method != self.method:
            return False
        path = path.rstrip("/") or "/"
        return self.path is None or path == self.path or path.startswith(self.path + "/")


class _Hang(Exception):
    """Raised inside a handler to mean: sleep, then close without answering."""


class _FakeServer:
    """Shared machinery: the server thread, request log, faults and hooks."""

    #: (method, path) a fault applies to when the caller names neither.
    default_fault_target: tuple[str | None, str | None] = ("POST", None)

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._requests: list[Request] = []
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._server: LocalHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.on_request: Callable[[Request], None] | None = None
        self.on_post: Callable[[dict[str, Any]], None] | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> Self:
        """Start serving on 127.0.0.1, a random free port."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

        self._server = LocalHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging handlers wake up and close their sockets."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:53211`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    # -- inspection ------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        """A copy of every request received so far, in order."""
        with self._lock:
            return list(self._requests)

    def count(self, path: str, method: str | None = None) -> int:
        """How many requests hit ``path`` (and ``method`` when given)."""
        return sum(
            1 for r in self.requests if r.path == path and (method is None or r.method == method)
        )

    # -- faults ----------------------------------------------------------------

    def fault(
        self,
        kind: str,
        *,
        times: int | None = 1,
        status: int = 500,
        retry_after: float | None = None,
        seconds: float | None = None,
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Queue a fault for the next matching request(s).

        Kinds: ``status`` (answer ``status`` with an error body, plus
        ``Retry-After`` when given), ``rate_limit`` (429 with ``Retry-After``,
        default 1), ``hang`` (no answer for ``seconds``, nothing created, then the
        socket closes), ``accept_then_hang`` (the post is created and ``on_post``
        runs, then the answer waits ``seconds``), ``drop`` (close the socket
        after reading the request, nothing created), ``malformed`` (200 with a
        body that is not JSON, nothing created).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        d_method, d_path = self.default_fault_target
        if method is None and path is None:
            method, path = d_method, d_path
        if kind == "rate_limit":
            status = 429
            retry_after = 1 if retry_after is None else retry_after
        with self._lock:
            self._faults.append(
                Fault(
                    kind=kind,
                    method=method,
                    path=path,
                    times=times,
                    status=status,
                    retry_after=retry_after,
                    seconds=DEFAULT_HANG if seconds is None else seconds,
                    body=body,
                )
            )

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _post_accepted(self, post: dict[str, Any]) -> None:
        """Subclasses call this once a post exists server side."""
        hook = self.on_post
        if hook is not None:
            hook(post)

    # -- serving ---------------------------------------------------------------

    def respond(self, req: Request) -> Reply:  # pragma: no cover - overridden
        """Answer one request (subclasses)."""
        raise NotImplementedError

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        req = Request(
            method=h.command,
            path=split.path,
            query=query,
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
            raw_path=h.path,
        )
        with self._lock:
            self._requests.append(req)
        if self.on_request is not None:
            self.on_request(req)
        fault = self._take_fault(req.method, req.path)
        delay_answer = 0.0
        if fault is not None:
            if fault.kind in ("hang", "drop"):
                if fault.kind == "hang":
                    self._stopping.wait(fault.seconds)
                h.close_connection = True
                return
            if fault.kind == "malformed":
                self._send(h, Reply(200, b"<html>not json", {"Content-Type": "application/json"}))
                return
            if fault.kind in ("status", "rate_limit"):
                headers: dict[str, str] = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = _num(fault.retry_after)
                message = fault.body or f"Injected failure ({fault.status})"
                self._send(h, self.error_reply(fault.status, message, headers))
                return
            if fault.kind == "accept_then_hang":
                delay_answer = fault.seconds
        try:
            reply = self.respond(req)
        except Exception as exc:  # a bug in the fake: make it visible to the client
            reply = Reply.json({"error": f"fake server error: {exc!r}"}, status=599)
        if delay_answer:
            self._stopping.wait(delay_answer)
            h.close_connection = True
            return
        self._send(h, reply)

    def error_reply(self, status: int, message: str, headers: Mapping[str, str]) -> Reply:
        """The platform-shaped error body for an injected status fault."""
        return Reply.json({"error": message}, status=status, headers=headers)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        try:
            h.send_response(reply.status)
            for name, value in reply.headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(reply.body)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(reply.body)
        except OSError:  # the client went away
            h.close_connection = True


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------------------
# Mastodon
# ---------------------------------------------------------------------------


class FakeMastodon(_FakeServer):
    """A Mastodon instance as Mastodon.py sees it, one account, one bearer token.

    ``posts`` lists every created status as a dict: ``id``, ``status`` (the
    text), ``language``, ``in_reply_to_id``, ``media_ids``, ``idempotency_key``,
    ``visibility``, ``created_at`` and ``headers``. A POST carrying an
    ``Idempotency-Key`` already seen within ``idempotency_window`` seconds
    returns the first status again and creates nothing (like Mastodon's one-hour
    window). Requests without ``Authorization: Bearer <token>`` get a 401.
    """

    default_fault_target = ("POST", "/api/v1/statuses")

    def __init__(
        self,
        *,
        token: str = "fake-mastodon-token",
        max_characters: int = 500,
        username: str = "newsroom",
        account_id: str = "109000000000000001",
        version: str = "4.3.0",
        idempotency_window: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.token = token
        self.max_characters = max_characters
        self.username = username
        self.account_id = account_id
        self.version = version
        self.idempotency_window = idempotency_window
        self.clock = clock
        self._posts: list[dict[str, Any]] = []
        self._keys: dict[str, tuple[float, dict[str, Any]]] = {}
        self._media: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(110000000000000001)

    @property
    def posts(self) -> list[dict[str, Any]]:
        """A copy of the created statuses, oldest first."""
        with self._lock:
            return [dict(p) for p in self._posts]

    @property
    def media(self) -> list[dict[str, Any]]:
        """A copy of the uploaded media attachments."""
        with self._lock:
            return [dict(m) for m in self._media.values()]

    def add_status(self, text: str, **extra: Any) -> dict[str, Any]:
        """Create a status directly (as if posted earlier by another client)."""
        with self._lock:
            post = self._new_post(text, extra, headers={}, key=None)
        return post

    def error_reply(self, status: int, message: str, headers: Mapping[str, str]) -> Reply:
        return Reply.json({"error": message}, status=status, headers=headers)

    def _account(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "Newsroom",
            "locked": False,
            "bot": True,
            "created_at": "2023-01-01T00:00:00.000Z",
            "note": "",
            "url": f"{self.url}/@{self.username}",
            "avatar": f"{self.url}/avatar.png",
            "avatar_static": f"{self.url}/avatar.png",
            "header": f"{self.url}/header.png",
            "header_static": f"{self.url}/header.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(self._posts),
            "emojis": [],
            "fields": [],
        }

    def _status_json(self, post: dict[str, Any]) -> dict[str, Any]:
        paragraphs = "".join(
            f"<p>{html.escape(part).replace(chr(10), '<br />')}</p>"
            for part in post["status"].split("\n\n")
        )
        return {
            "id": post["id"],
            "uri": f"{self.url}/users/{self.username}/statuses/{post['id']}",
            "url": f"{self.url}/@{self.username}/{post['id']}",
            "created_at": post["created_at"],
            "content": paragraphs,
            "visibility": post["visibility"],
            "sensitive": False,
            "spoiler_text": "",
            "language": post["language"],
            "in_reply_to_id": post["in_reply_to_id"],
            "in_reply_to_account_id": self.account_id if post["in_reply_to_id"] else None,
            "reblog": None,
            "account": self._account(),
            "media_attachments": [self._media[m] for m in post["media_ids"] if m in self._media],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "application": {"name": "embedkit", "website": None},
        }

    def _new_post(
        self, text: str, fields: Mapping[str, Any], headers: dict[str, str], key: str | None
    ) -> dict[str, Any]:
        post = {
            "id": str(next(self._ids)),
            "status": text,
            "language": fields.get("language"),
            "in_reply_to_id": fields.get("in_reply_to_id"),
            "media_ids": list(fields.get("media_ids", [])),
            "visibility": fields.get("visibility", "public"),
            "idempotency_key": key,
            "created_at": _now_iso(),
            "headers": headers,
        }
        self._posts.append(post)
        return post

    def respond(self, req: Request) -> Reply:
        path, method = req.path.rstrip("/") or "/", req.method
        if path == "/api/v1/instance" and method == "GET":
            return Reply.json(self._instance_v1())
        if path == "/api/v2/instance" and method == "GET":
            return Reply.json(self._instance_v2())
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply.json({"error": "The access token is invalid"}, status=401)
        if path == "/api/v1/accounts/verify_credentials" and method == "GET":
            with self._lock:
                return Reply.json(self._account())
        if path == f"/api/v1/accounts/{self.account_id}/statuses" and method == "GET":
            return self._account_statuses(req)
        if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            return Reply.json({"error": "Record not found"}, status=404)
        if path == "/api/v1/statuses" and method == "POST":
            return self._post_status(req)
        if path in ("/api/v1/media", "/api/v2/media") and method == "POST":
            return self._post_media(req)
        if path.startswith("/api/v1/statuses/") and method == "GET":
            wanted = path.rsplit("/", 1)[1]
            with self._lock:
                for post in self._posts:
                    if post["id"] == wanted:
                        return Reply.json(self._status_json(post))
            return Reply.json({"error": "Record not found"}, status=404)
        return Reply.json({"error": "Not found"}, status=404)

    def _instance_v1(self) -> dict[str, Any]:
        return {
            "uri": "127.0.0.1",
            "title": "Fake Mastodon",
            "version": self.version,
            "configuration": {
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                }
            },
        }

    def _instance_v2(self) -> dict[str, Any]:
        return {
            "domain": "127.0.0.1",
            "title": "Fake Mastodon",
            "version": self.version,
            "api_versions": {"mastodon": 2},
            "configuration": self._instance_v1()["configuration"],
        }

    def _account_statuses(self, req: Request) -> Reply:
        limit = int(req.query.get("limit", ["20"])[0])
        with self._lock:
            newest_first = list(reversed(self._posts))[: max(0, min(limit, 40))]
            return Reply.json([self._status_json(p) for p in newest_first])

    def _post_status(self, req: Request) -> Reply:
        if req.headers.get("content-type", "").startswith("application/json"):
            data = req.json()
            fields = dict(data)
        else:
            form = req.form()
            fields = {k: v[-1] for k, v in form.items() if not k.endswith("[]")}
            fields["media_ids"] = form.get("media_ids[]", form.get("media_ids", []))
        text = str(fields.get("status") or "")
        if not text and not fields["media_ids"]:
            return Reply.json({"error": "Validation failed: Text can't be blank"}, status=422)
        if len(text) > self.max_characters:
            return Reply.json(
                {
                    "error": "Validation failed: Text character limit of "
                    f"{self.max_characters} exceeded"
                },
                status=422,
            )
        key = req.headers.get("idempotency-key")
        with self._lock:
            if key is not None and key in self._keys:
                seen_at, earlier = self._keys[key]
                if self.clock() - seen_at <= self.idempotency_window:
                    return Reply.json(self._status_json(earlier))
            post = self._new_post(text, fields, dict(req.headers), key)
            if key is not None:
                self._keys[key] = (self.clock(), post)
            body = self._status_json(post)
        self._post_accepted(dict(post))
        return Reply.json(body)

    def _post_media(self, req: Request) -> Reply:
        parts = req.multipart()
        if "file" not in parts:
            return Reply.json({"error": "Validation failed: File can't be blank"}, status=422)
        with self._lock:
            media_id = str(next(self._ids))
            media = {
                "id": media_id,
                "type": "image",
                "url": f"{self.url}/media/{media_id}.png",
                "preview_url": f"{self.url}/media/{media_id}-small.png",
                "remote_url": None,
                "description": parts.get("description", b"").decode("utf-8") or None,
                "blurhash": None,
                "size": len(parts["file"]),
            }
            self._media[media_id] = media
        return Reply.json(media)


# ---------------------------------------------------------------------------
# Bluesky
# ---------------------------------------------------------------------------


class FakeBluesky(_FakeServer):
    """A Bluesky PDS as atproto's ``Client`` sees it: one account, XRPC over HTTP.

    ``sessions_created`` counts successful ``createSession`` calls (to show a
    saved session is reused), ``sessions_refreshed`` the ``refreshSession`` calls;
    ``access_ttl`` is the access token's lifetime in seconds (atproto refreshes a
    token that expires within 15 minutes, so a small value forces refreshes).
    ``records`` lists created post records (dicts with ``uri``, ``cid``,
    ``rkey``, ``record``). ``blobs`` lists uploaded blob
    sizes and MIME types. A ``createRecord`` with an ``rkey`` already used fails
    like a real PDS (400 ``InvalidRequest`` "Record already exists").
    """

    default_fault_target = ("POST", "/xrpc/com.atproto.repo.createRecord")

    def __init__(
        self,
        *,
        handle: str = "newsroom.example.com",
        password: str = "app-pass-word-1234",
        did: str = "did:plc:fakenewsroom0000000000001",
        access_ttl: int = 7200,
    ) -> None:
        super().__init__()
        self.access_ttl = access_ttl
        self.sessions_refreshed = 0
        self.handle = handle
        self.password = password
        self.did = did
        self.sessions_created = 0
        self._access: set[str] = set()
        self._refresh: set[str] = set()
        self._records: list[dict[str, Any]] = []
        self._blobs: list[dict[str, Any]] = []
        self._tid = itertools.count(1)

    @property
    def records(self) -> list[dict[str, Any]]:
        """A copy of the created records, oldest first."""
        with self._lock:
            return [dict(r) for r in self._records]

    @property
    def blobs(self) -> list[dict[str, Any]]:
        """A copy of the uploaded blobs (``cid``, ``mimeType``, ``size``)."""
        with self._lock:
            return [dict(b) for b in self._blobs]

    def expire_sessions(self) -> None:
        """Invalidate every access token (refresh tokens stay valid)."""
        with self._lock:
            self._access.clear()

    def revoke_sessions(self) -> None:
        """Invalidate every access and refresh token."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    def error_reply(self, status: int, message: str, headers: Mapping[str, str]) -> Reply:
        name = "RateLimitExceeded" if status == 429 else "InternalServerError"
        if 400 <= status < 500 and status != 429:
            name = {401: "AuthenticationRequired", 403: "Forbidden"}.get(status, "InvalidRequest")
        return Reply.json({"error": name, "message": message}, status=status, headers=headers)

    def _jwt(self, kind: str) -> str:
        """A token shaped like a JWT (atproto decodes the payload for ``exp``)."""

        def b64(data: dict[str, Any]) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        now = int(time.time())
        serial = next(self._tid)
        payload = {
            "scope": "com.atproto.access" if kind == "access" else "com.atproto.refresh",
            "sub": self.did,
            "iat": now,
            "exp": now + (self.access_ttl if kind == "access" else 86400 * 60),
            "jti": f"{kind}-{serial}",
        }
        return f"{b64({'typ': 'at+jwt', 'alg': 'HS256'})}.{b64(payload)}.c2lnbmF0dXJl"

    def _session(self) -> dict[str, Any]:
        access, refresh = self._jwt("access"), self._jwt("refresh")
        self._access.add(access)
        self._refresh.add(refresh)
        return {
            "did": self.did,
            "handle": self.handle,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def _profile(self) -> dict[str, Any]:
        return {"did": self.did, "handle": self.handle, "displayName": "Newsroom"}

    def _bearer(self, req: Request) -> str:
        auth = req.headers.get("authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else ""

    def respond(self, req: Request) -> Reply:
        method = req.path.removeprefix("/xrpc/")
        if method == "com.atproto.server.createSession":
            data = req.json()
            ident, password = data.get("identifier"), data.get("password")
            if ident not in (self.handle, self.did) or password != self.password:
                return Reply.json(
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    status=401,
                )
            with self._lock:
                self.sessions_created += 1
                return Reply.json(self._session())
        if method == "com.atproto.server.refreshSession":
            with self._lock:
                token = self._bearer(req)
                if token not in self._refresh:
                    return Reply.json(
                        {"error": "ExpiredToken", "message": "Token has expired"}, status=400
                    )
                self._refresh.discard(token)
                self.sessions_refreshed += 1
                return Reply.json(self._session())
        with self._lock:
            authorized = self._bearer(req) in self._access
        if not authorized:
            return Reply.json({"error": "ExpiredToken", "message": "Token has expired"}, status=400)
        if method == "com.atproto.server.getSession":
            return Reply.json({"did": self.did, "handle": self.handle, "active": True})
        if method == "app.bsky.actor.getProfile":
            return Reply.json(self._profile())
        if method == "com.atproto.repo.uploadBlob":
            return self._upload_blob(req)
        if method == "com.atproto.repo.createRecord":
            return self._create_record(req)
        if method == "com.atproto.repo.listRecords":
            return self._list_records(req)
        if method == "com.atproto.repo.getRecord":
            return self._get_record(req)
        if method == "app.bsky.feed.getAuthorFeed":
            return self._author_feed(req)
        return Reply.json(
            {"error": "MethodNotImplemented", "message": f"{method} not implemented"}, status=501
        )

    def _upload_blob(self, req: Request) -> Reply:
        digest = hashlib.sha256(req.body).hexdigest()
        blob: dict[str, Any] = {
            "$type": "blob",
            "ref": {"$link": f"bafkrei{digest[:52]}"},
            "mimeType": req.headers.get("content-type", "application/octet-stream"),
            "size": len(req.body),
        }
        with self._lock:
            self._blobs.append({"cid": blob["ref"]["$link"], **blob})
        return Reply.json({"blob": blob})

    def _create_record(self, req: Request) -> Reply:
        data = req.json()
        if data.get("repo") not in (self.did, self.handle):
            return Reply.json({"error": "InvalidRequest", "message": "Invalid repo"}, status=400)
        record = data.get("record") or {}
        collection = data.get("collection")
        if collection != "app.bsky.feed.post" or not isinstance(record.get("text"), str):
            return Reply.json(
                {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"},
                status=400,
            )
        with self._lock:
            rkey = data.get("rkey") or f"3k{next(self._tid):011d}"
            uri = f"at://{self.did}/{collection}/{rkey}"
            if any(r["uri"] == uri for r in self._records):
                return Reply.json(
                    {"error": "InvalidRequest", "message": f"Record already exists: {uri}"},
                    status=400,
                )
            cid = "bafyrei" + hashlib.sha256(json.dumps(record).encode()).hexdigest()[:52]
            entry = {
                "uri": uri,
                "cid": cid,
                "rkey": rkey,
                "record": record,
                "headers": dict(req.headers),
                "indexedAt": _now_iso(),
            }
            self._records.append(entry)
        self._post_accepted(dict(entry))
        return Reply.json({"uri": uri, "cid": cid, "validationStatus": "valid"})

    def _get_record(self, req: Request) -> Reply:
        repo = req.query.get("repo", [""])[0]
        collection = req.query.get("collection", [""])[0]
        rkey = req.query.get("rkey", [""])[0]
        with self._lock:
            for r in self._records:
                if r["uri"] == f"at://{self.did}/{collection}/{rkey}" and repo in (
                    self.did,
                    self.handle,
                ):
                    return Reply.json({"uri": r["uri"], "cid": r["cid"], "value": r["record"]})
        return Reply.json(
            {"error": "RecordNotFound", "message": f"Could not locate record: {rkey}"}, status=400
        )

    def _list_records(self, req: Request) -> Reply:
        limit = int(req.query.get("limit", ["50"])[0])
        with self._lock:
            newest = list(reversed(self._records))[:limit]
            return Reply.json(
                {
                    "records": [
                        {"uri": r["uri"], "cid": r["cid"], "value": r["record"]} for r in newest
                    ]
                }
            )

    def _author_feed(self, req: Request) -> Reply:
        limit = int(req.query.get("limit", ["50"])[0])
        with self._lock:
            newest = list(reversed(self._records))[:limit]
            feed = [
                {
                    "post": {
                        "uri": r["uri"],
                        "cid": r["cid"],
                        "author": self._profile(),
                        "record": r["record"],
                        "indexedAt": r["indexedAt"],
                    }
                }
                for r in newest
            ]
        return Reply.json({"feed": feed})


# ---------------------------------------------------------------------------
# Generic recorder (webhooks, Telegram, Threads, LinkedIn)
# ---------------------------------------------------------------------------


Handler = Callable[[Request], Reply]


class FakeHttpRecorder(_FakeServer):
    """A generic HTTP server with scripted responses.

    ``route(method, path, reply)`` answers that exact path (no query) with a
    :class:`Reply` or a callable taking the :class:`Request`; other requests get
    ``default`` (404 unless set). Any POST counts as a "post" for ``on_post``
    and for the default fault target.
    """

    default_fault_target = ("POST", None)

    def __init__(self, default: Reply | None = None) -> None:
        super().__init__()
        self._routes: dict[tuple[str, str], Reply | Handler] = {}
        self.default = default or Reply.json({"error": "not found"}, status=404)

    def route(self, method: str, path: str, reply: Reply | Handler) -> None:
        """Answer ``method path`` with ``reply`` (a Reply, or a function of the Request)."""
        with self._lock:
            self._routes[(method.upper(), path)] = reply

    def respond(self, req: Request) -> Reply:
        with self._lock:
            target = self._routes.get((req.method, req.path), self.default)
        reply = target(req) if callable(target) else target
        if req.method == "POST" and 200 <= reply.status < 300:
            self._post_accepted({"path": req.path, "body": req.body, "headers": dict(req.headers)})
        return reply


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def sample_post(channel: str, text: str | None = None, **fields: Any) -> Any:
    """A ready-made :class:`~embedkit.syndicate._models.Post` for channel tests.

    The text is the seed article's headline and URL unless given; other Post
    fields (``facets``, ``card``, ``image``, ``lang``, ``thread``...) by keyword.
    """
    from embedkit.syndicate._models import Post

    body = text or (
        "Japan, South Korea bury trade hatchet amid security threats "
        "https://example.com/news/japan-south-korea-trade"
    )
    values: dict[str, Any] = {
        "channel": channel,
        "article_id": "https://example.com/news/japan-south-korea-trade",
        "text": body,
        "length": len(body),
        "limit": 500,
        "text_hash": hashlib.sha256(body.encode("utf-8")).hexdigest(),
    }
    values.update(fields)
    return Post(**values)


def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
