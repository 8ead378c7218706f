"""Prometheus metrics of one app: requests, embeds, upstream fetches, latency.

=====================================  =====================================================
``embedkit_http_requests_total``       requests answered, by ``endpoint`` and ``status``
``embedkit_http_request_seconds``      latency histogram, by ``endpoint``
``embedkit_embeds_total``              embeds served, by ``status`` (fresh, cached, stale...)
``embedkit_cache_lookups_total``       ``result="hit"`` (served without asking the provider)
                                       or ``"miss"``
``embedkit_cache_hit_ratio``           hits / lookups since start (computed at scrape time)
``embedkit_upstream_requests_total``   HTTP requests sent to providers, by ``provider``
``embedkit_refused_total``             requests refused by a limit, by ``reason``
=====================================  =====================================================

With several worker processes (``embedkit serve --workers N``) the CLI points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder and every scrape sums all workers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["CONTENT_TYPE", "Metrics", "MetricsMiddleware"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OTHER = "other"
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters of one app, in a registry of its own (several apps may share a process)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.multiprocess_dir = env.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "embedkit_http_requests", "Requests answered.", ["endpoint", "status"], registry=r
        )
        self.latency = Histogram(
            "embedkit_http_request_seconds",
            "Time to answer a request.",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.embeds = Counter("embedkit_embeds", "Embeds served.", ["status"], registry=r)
        self.lookups = Counter(
            "embedkit_cache_lookups",
            "Embeds served from the cache (hit) or after asking the provider (miss).",
            ["result"],
            registry=r,
        )
        self.upstream = Counter(
            "embedkit_upstream_requests",
            "HTTP requests sent to providers.",
            ["provider"],
            registry=r,
        )
        self.refused = Counter(
            "embedkit_refused", "Requests refused by a limit.", ["reason"], registry=r
        )

    def embed_served(self, status: str, hit: bool) -> None:
        self.embeds.labels(status).inc()
        self.lookups.labels("hit" if hit else "miss").inc()

    def render(self) -> bytes:
        """The Prometheus text exposition, plus the cache hit ratio."""
        registry = self.registry
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        hits = misses = 0.0
        for family in registry.collect():
            if family.name == "embedkit_cache_lookups":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        if sample.labels.get("result") == "hit":
                            hits += sample.value
                        else:
                            misses += sample.value
        ratio = hits / (hits + misses) if hits + misses else 0.0
        return generate_latest(registry) + (
            b"# HELP embedkit_cache_hit_ratio Embeds served from the cache / all embeds served.\n"
            b"# TYPE embedkit_cache_hit_ratio gauge\n"
            + f"embedkit_cache_hit_ratio {ratio:.6g}\n".encode()
        )


class MetricsMiddleware:
    """Count every HTTP request by endpoint and status, and time it."""

    def __init__(self, app: Any, metrics: Metrics, endpoints: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.endpoints = endpoints

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        endpoint = path if path in self.endpoints else OTHER
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.requests.labels(endpoint, str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
