"""Validate real responses against src/embedkit/serve/openapi.json with openapi-core."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from embedkit.serve._app import OPENAPI_PATH

SPEC = OpenAPI.from_dict(json.loads(OPENAPI_PATH.read_text(encoding="utf-8")))


class _Request:
    def __init__(self, request: httpx.Request) -> None:
        parts = urlsplit(str(request.url))
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(parts.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content or None
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))


def check(response: httpx.Response) -> httpx.Response:
    """Raise when ``response`` is not what openapi.json documents for its request."""
    SPEC.validate_response(_Request(response.request), _Response(response))
    return response


def documented() -> set[tuple[str, str, int]]:
    """Every (method, path, status) the document describes."""
    spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return {
        (method.upper(), path, int(status))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
    }
