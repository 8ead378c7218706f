"""A fleet on one Redis: one upstream request per post, and no 5xx when Redis goes away."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.serve.conftest import RestartableRedis, Server, serve_env
from tests.simulator import ProviderSimulator, RecordedRequest

pytestmark = pytest.mark.redis

NODES = 3
CLIENTS = 50


def slow_twitter(simulator: ProviderSimulator, delay: float) -> None:
    """The X endpoint answers every post after ``delay`` seconds (a race window)."""
    body = (simulator.fixtures / "twitter-1.json").read_bytes()

    def answer(_request: RecordedRequest) -> bytes:
        time.sleep(delay)
        return body

    simulator.route("/twitter/oembed", handler=answer)


def posts(first: int, count: int) -> list[str]:
    return [f"https://x.com/newsdesk/status/{n}" for n in range(first, first + count)]


def ask_all(
    nodes: list[Server], urls: list[str], clients: int = CLIENTS, lockstep: int = 10
) -> Counter[int]:
    """``clients`` threads start at once; each asks every URL, going round the nodes.

    The first ``lockstep`` URLs are asked in the same order by every client (all
    of them want the same new post at the same moment); the rest in an order of
    each client's own, so the run takes seconds rather than a round per post.
    """
    start = threading.Barrier(clients)

    def client(number: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        rest = urls[lockstep:]
        random.Random(number).shuffle(rest)
        with httpx.Client(timeout=30) as http:
            start.wait()
            for index, url in enumerate(urls[:lockstep] + rest):
                node = nodes[(number + index) % len(nodes)]
                try:
                    reply = http.get(f"{node.url}/oembed", params={"url": url})
                    statuses[reply.status_code] += 1
                    if reply.status_code == 200:
                        assert "<script" not in reply.json()["html"].split("</figure>")[0]
                except httpx.HTTPError:
                    statuses[0] += 1  # no answer at all
        return statuses

    total: Counter[int] = Counter()
    with ThreadPoolExecutor(clients) as pool:
        for statuses in pool.map(client, range(clients)):
            total.update(statuses)
    return total


def upstream(simulator: ProviderSimulator, urls: list[str]) -> Counter[str]:
    wanted = set(urls)
    return Counter(
        r.url_param for r in simulator.requests_for("/twitter/oembed") if r.url_param in wanted
    )


def start_fleet(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path, cache: str
) -> list[Server]:
    env = serve_env(simulator, tmp_path, cache=cache)
    start_serve(env, "--rate-limit", "off", count=NODES)
    return list(start_serve.started)  # type: ignore[attr-defined]


def test_three_nodes_fetch_each_new_post_once(
    start_serve: Callable[..., Server],
    simulator: ProviderSimulator,
    restartable_redis: RestartableRedis,
    tmp_path: Path,
) -> None:
    nodes = start_fleet(start_serve, simulator, tmp_path, restartable_redis.url())
    slow_twitter(simulator, 0.05)
    urls = posts(1_000_000, 100)
    statuses = ask_all(nodes, urls)
    assert statuses == Counter({200: CLIENTS * len(urls)})
    seen = upstream(simulator, urls)
    assert sum(seen.values()) == len(urls), seen.most_common(3)
    assert set(seen) == set(urls)
    # Every node saw the same posts; the fleet's metrics add up to one fetch per post.
    fetched = 0
    for node in nodes:
        for line in httpx.get(f"{node.url}/metrics").text.splitlines():
            if line.startswith('embedkit_upstream_requests_total{provider="Twitter"}'):
                fetched += int(float(line.split()[-1]))
    assert fetched == len(urls)


def test_redis_going_away_costs_no_5xx_and_the_fleet_recovers(
    start_serve: Callable[..., Server],
    simulator: ProviderSimulator,
    restartable_redis: RestartableRedis,
    tmp_path: Path,
) -> None:
    nodes = start_fleet(start_serve, simulator, tmp_path, restartable_redis.url())
    slow_twitter(simulator, 0.02)
    clients = 12

    warm = posts(2_000_000, 20)
    assert ask_all(nodes, warm, clients) == Counter({200: clients * len(warm)})

    # Kill Redis while requests are in flight.
    during: list[Counter[int]] = []
    runner = threading.Thread(
        target=lambda: during.append(ask_all(nodes, warm + posts(3_000_000, 20), clients))
    )
    runner.start()
    time.sleep(0.1)
    restartable_redis.kill()
    runner.join(120)
    outage = ask_all(nodes, warm + posts(4_000_000, 10), clients)
    for got in (*during, outage):
        assert set(got) == {200}, got  # no 5xx, no dropped connection
    for node in nodes:
        health = httpx.get(f"{node.url}/healthz").json()
        assert health["status"] == "degraded"
        assert health["cache"]["reachable"] is False

    restartable_redis.start()
    deadline = time.monotonic() + 30
    while any(httpx.get(f"{n.url}/healthz").json()["status"] != "ok" for n in nodes):
        assert time.monotonic() < deadline, "the fleet did not see Redis come back"
        time.sleep(0.1)
    again = posts(5_000_000, 30)
    assert ask_all(nodes, again, clients) == Counter({200: clients * len(again)})
    seen = upstream(simulator, again)
    assert sum(seen.values()) == len(again), seen.most_common(3)  # single-flight again
