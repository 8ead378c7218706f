"""embedkit as an HTTP service: an oEmbed provider for any CMS (``pip install 'embedkit[serve]'``).

``embedkit serve`` runs it under uvicorn. Process managers can run it too:

- ``uvicorn embedkit.serve:app`` (or ``gunicorn -k uvicorn.workers.UvicornWorker
  embedkit.serve:app``): :data:`app` builds itself from the environment
  (``EMBEDKIT_CACHE``, ``EMBEDKIT_PROVIDERS``, ``EMBEDKIT_SERVE_ALLOW_ORIGINS``...)
  on its first event, in each worker process;
- ``create_app(resolver, settings=...)`` builds one from Python values.

Endpoints: ``GET /oembed``, ``GET /embed``, ``POST /render``, ``GET /providers/match``,
``GET /healthz``, ``GET /metrics``, ``GET /openapi.json``; see docs/serve.md.
"""

from __future__ import annotations

import threading as _threading
from typing import Any as _Any

from embedkit.serve._app import create_app
from embedkit.serve._settings import ServeSettings

__all__ = ["ServeSettings", "app", "create_app"]


class _AppFromEnvironment:
    """An ASGI app that builds ``create_app()`` from ``os.environ`` when first called.

    Importing :mod:`embedkit.serve` opens nothing; the cache and the providers
    are opened by the process that serves (after a process manager forked it).
    """

    def __init__(self) -> None:
        self._app: _Any = None
        self._guard = _threading.Lock()

    def __repr__(self) -> str:
        return "<embedkit.serve.app: built from the environment on first use>"

    async def __call__(self, scope: _Any, receive: _Any, send: _Any) -> None:
        if self._app is None:
            with self._guard:
                if self._app is None:
                    self._app = create_app()
        await self._app(scope, receive, send)


#: The ASGI app for ``uvicorn embedkit.serve:app``, configured by the environment.
app = _AppFromEnvironment()
