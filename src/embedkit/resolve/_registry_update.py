"""``embedkit providers update``: replace the stored provider registry with a newer one.

This is the one place the provider side downloads anything, so
:mod:`embedkit.resolve._providers` (matching) never imports the HTTP client.

A registry read from a file is the publisher's configuration and is stored as it is.
A registry fetched from a URL is data from the network: it is validated like any
file, and every endpoint in it is stored with ``"trusted": false``, so requests to
it go through the network guard like an author's URL. Nothing fetched becomes
trusted, whatever the fetched file says about itself.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedkit._errors import ConfigError
from embedkit.resolve._providers import (
    _parse_json,
    load_providers_file,
    updated_registry_path,
    validate_entries,
)

if TYPE_CHECKING:
    from embedkit.net._http import HttpClient

__all__ = ["update_registry"]


def update_registry(
    source: str,
    *,
    http: HttpClient | None = None,
    dest: Path | None = None,
) -> int:
    """Replace the stored provider registry with ``source`` (a file path or a URL).

    The new registry is read and validated first; only a valid one replaces
    ``dest`` (default: :func:`~embedkit.resolve._providers.updated_registry_path`),
    atomically, so a failed update leaves the previous registry in place. A
    registry downloaded from a URL has every endpoint marked untrusted. Returns
    the provider count.
    """
    if source.startswith(("http://", "https://")):
        text = _download(source, http)
        entries = _untrusted(validate_entries(_parse_json(text, source), source=source))
    else:
        entries = load_providers_file(source)
    if not entries:
        raise ConfigError(f"{source}: the registry lists no providers")
    target = Path(dest) if dest is not None else updated_registry_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".providers-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entries, out, ensure_ascii=False, indent=1)
                out.write("\n")
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write the provider registry to {target}: {exc}") from exc
    return len(entries)


def _untrusted(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries with every endpoint marked ``"trusted": false`` (whatever they said)."""
    return [
        {**entry, "endpoints": [{**e, "trusted": False} for e in entry["endpoints"]]}
        for entry in entries
    ]


def _download(url: str, http: HttpClient | None) -> str:
    from embedkit.net._http import HttpClient, raise_for_status

    client = http if http is not None else HttpClient()
    try:
        response = client.get(url, trusted=False)
        raise_for_status(response)
    finally:
        if http is None:
            client.close()
    try:
        return bytes(response.content).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{url}: the registry is not UTF-8 text") from exc
