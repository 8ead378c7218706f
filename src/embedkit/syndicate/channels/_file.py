"""The ``file`` channel: one JSON object per line, for dry runs and pipelines.

Each publish appends one line to a file with a single ``O_APPEND`` write and
an ``fsync``, so lines from concurrent writers never interleave and an
accepted post survives a crash. The channel is idempotent: a key already in
the file returns the earlier post instead of writing a second line.

Example::

    >>> import tempfile, pathlib
    >>> from embedkit.syndicate._models import Post
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.jsonl"
    >>> channel = FileChannel(path)
    >>> post = Post(channel="file", article_id="a1", text="Hello", length=5, limit=10**6)
    >>> first = channel.publish(post, idempotency_key="k1")
    >>> channel.publish(post, idempotency_key="k1") == first
    True
    >>> len(path.read_text().splitlines())
    1
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from embedkit._errors import ChannelError
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import require_env

__all__ = ["ENV_PATH", "FileChannel"]

ENV_PATH = "EMBEDKIT_FILE_CHANNEL_PATH"


class FileChannel:
    """Append posts as JSON lines to ``path``."""

    name = "file"
    idempotent = True

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.clock = clock

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, path: str | os.PathLike[str] | None = None, **_: Any
    ) -> FileChannel:
        """Build from ``EMBEDKIT_FILE_CHANNEL_PATH`` (or the ``path`` seam)."""
        if path is None:
            path = require_env("file", env, [ENV_PATH])[ENV_PATH]
        return cls(path)

    def __repr__(self) -> str:
        return f"FileChannel(path={str(self.path)!r})"

    def close(self) -> None:
        """Nothing to close: every publish opens and closes the file."""

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Append ``post`` unless a line with ``idempotency_key`` is already there."""
        record = {
            "id": f"{idempotency_key[:16]}",
            "created_at": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "idempotency_key": idempotency_key,
            "channel": post.channel,
            "article_id": post.article_id,
            "text": post.text,
            "length": post.length,
            "limit": post.limit,
            "thread": list(post.thread),
            "lang": post.lang,
            "image": post.image,
            "card": None
            if post.card is None
            else {
                "url": post.card.url,
                "title": post.card.title,
                "description": post.card.description,
                "thumb": post.card.thumb,
            },
            "facets": [
                {
                    "byte_start": f.byte_start,
                    "byte_end": f.byte_end,
                    "kind": f.kind,
                    "value": f.value,
                }
                for f in post.facets
            ],
            "text_hash": post.text_hash,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                earlier = self._find(idempotency_key)
                if earlier is not None:
                    return self._published(earlier)
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(f"short write ({written} of {len(line)} bytes)")
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the lock
        except OSError as exc:
            raise ChannelError(f"file: cannot append to {self.path}: {exc}") from exc
        return self._published(record)

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The last ``limit`` lines of the file, newest first."""
        records = self._records()[-limit:] if limit > 0 else []
        return [
            RemotePost(
                id=str(r.get("id", "")),
                text=str(r.get("text", "")),
                url=self._url(r),
                created_at=_parse_time(r.get("created_at")),
                idempotency_key=r.get("idempotency_key"),
            )
            for r in reversed(records)
        ]

    def _records(self) -> list[dict[str, Any]]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"file: cannot read {self.path}: {exc}") from exc
        out = []
        for line in raw.splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue  # a torn last line from a crash: ignore it
            if isinstance(data, dict):
                out.append(data)
        return out

    def _find(self, key: str) -> dict[str, Any] | None:
        for record in self._records():
            if record.get("idempotency_key") == key:
                return record
        return None

    def _url(self, record: Mapping[str, Any]) -> str:
        return f"{self.path.resolve().as_uri()}#{record.get('id', '')}"

    def _published(self, record: Mapping[str, Any]) -> Published:
        return Published(
            id=str(record["id"]), url=self._url(record), extra={"path": str(self.path)}
        )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
