"""Functions run in child processes by the cache concurrency tests (spawn start method).

They live in their own module so a spawned interpreter can import them without
pytest; each returns plain data for the parent to check.
"""

from __future__ import annotations

import random
import time
from typing import Any

from embedkit.resolve.cache import Entry, open_cache

NOW = 1_700_000_000.0


def entry(writer: int, n: int, *, blob: int = 0) -> Entry:
    """The n-th entry of a writer; its data says who wrote it, so readers can check it."""
    data = {"writer": writer, "n": n, "text": "日本と韓国 🤝", "blob": "x" * blob}
    return Entry(
        key=f"w{writer}-{n}",
        url=f"https://x.com/w{writer}/status/{n}",
        provider=f"Writer{writer}",
        params={"maxwidth": "550"},
        data=data,
        fetched_at=NOW,
        expires_at=NOW + 3600,
        snapshot=data,
        snapshot_at=NOW,
    )


def write_and_read(
    url: str, writer: int, writers: int, start_at: float, seconds: float
) -> dict[str, Any]:
    """Write entries and read others' as fast as possible; count what went wrong."""
    errors: list[str] = []
    written = reads = seen = 0
    rnd = random.Random(writer)
    cache = open_cache(url)
    try:
        while time.time() < start_at:
            time.sleep(0.001)
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            try:
                cache.set(entry(writer, written))
                written += 1
                other = rnd.randrange(writers)
                got = cache.get(f"w{other}-{rnd.randrange(max(written, 1))}")
                reads += 1
                if got is not None:
                    seen += 1
                    if got.data is None or got.data["writer"] != other:
                        errors.append(f"wrong data under {got.key}: {got.data!r}")
                if written % 50 == 0:
                    cache.stats(NOW)
                    cache.block(f"Writer{writer}", NOW + written)
                if written % 97 == 0:
                    cache.delete(f"w{writer}-{written - 1}")
                    cache.set(entry(writer, written - 1))
            except Exception as exc:  # reported to the parent, which asserts none happened
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        cache.close()
    return {"writer": writer, "written": written, "reads": reads, "seen": seen, "errors": errors}


def write_forever(url: str, blob: int, ready_path: str) -> None:
    """Write big entries until killed; touch ready_path after the first few."""
    cache = open_cache(url)
    n = 0
    while True:
        cache.set(entry(0, n, blob=blob))
        n += 1
        if n == 5:
            with open(ready_path, "w") as ready:
                ready.write("ok")
