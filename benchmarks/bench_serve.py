"""`embedkit serve` under load, next to a constant Starlette endpoint on the same uvicorn.

Run:  .venv/bin/python benchmarks/bench_serve.py [--quick] [--seconds N]

Needs `wrk` (Debian/Ubuntu: `apt-get install wrk`): a Python load generator
(httpx in threads, or asyncio) tops out near the rate it is measuring on a small
machine, so it would measure itself. wrk runs 200 concurrent keep-alive
connections on 2 threads for 30 s (3 s with --quick) against:

- warm: ``GET /oembed?url=<the Reuters post>``, already in the cache (SQLite, the
  default backend): the sanitized embed is read, wrapped and sent;
- cold: ``GET /oembed?url=<a new post each request>``: every request is a cache
  miss, a fetch from the local provider simulator (tests/simulator.py, a threading
  HTTP server on 127.0.0.1), a sanitize and a cache write;
- the peer: a Starlette app with one route returning a constant string, run by
  the same uvicorn with the same settings (1 worker, auto loop/http, no access log).

Each row gives requests/s for embedkit and the peer; the note holds p50/p99 and
errors (socket errors plus non-2xx/3xx answers; the goal is 0). The ratio is the
claim: wrk and both servers share the machine's cores, so absolute numbers say
more about the machine than about embedkit.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from common import Row, table  # noqa: E402
from tests.simulator import REUTERS_URLS, ProviderSimulator  # noqa: E402

CONNECTIONS = 200
THREADS = 2

CONSTANT_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def constant(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", constant)])
    """
)

# Every request asks for a post nobody asked for before (wrk runs one Lua state per thread).
COLD_SCRIPT = textwrap.dedent(
    """
    local threads = {}
    function setup(thread)
      table.insert(threads, thread)
      thread:set("id", #threads)
    end
    function init(args)
      counter = 0
      base = tonumber(args[1])
    end
    function request()
      counter = counter + 1
      local post = base + id * 100000000 + counter
      return wrk.format(nil, "/oembed?url=https://x.com/bench/status/" .. post)
    end
    """
)


@dataclass(frozen=True)
class Load:
    """What wrk measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> Load:
    """Requests/s, latency percentiles and errors from ``wrk --latency`` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return Load(rps, p50, p99, errors, requests)


def wrk(url: str, seconds: float, script: Path | None = None, *args: str) -> Load:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "--latency"]  # fmt: skip
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.args}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not start: {process.args}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(quick: bool = False, seconds: float | None = None) -> list[Row]:
    """Warm and cold rows: embedkit serve against a constant Starlette endpoint."""
    if shutil.which("wrk") is None:
        print("bench_serve: skipped, it needs wrk on PATH (apt-get install wrk)", file=sys.stderr)
        return []
    duration = seconds if seconds is not None else (3.0 if quick else 30.0)
    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    (folder / "constant_app.py").write_text(CONSTANT_APP)
    (folder / "cold.lua").write_text(COLD_SCRIPT)
    uvicorn_settings = ["--host", "127.0.0.1", "--workers", "1", "--no-access-log",
                        "--log-level", "warning"]  # fmt: skip
    with ProviderSimulator() as simulator:
        env = {
            **os.environ,
            "EMBEDKIT_CACHE": f"sqlite:///{folder}/cache.db",
            "EMBEDKIT_PROVIDERS": str(simulator.providers_file(folder)),
            "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
            "EMBEDKIT_SERVE_RATE_LIMIT": "off",
        }
        ours_port, peer_port = _free_port(), _free_port()
        ours = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "embedkit.serve:app", "--port", str(ours_port),
             *uvicorn_settings],
            env=env, cwd=folder,
        )  # fmt: skip
        peer = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "constant_app:app", "--port", str(peer_port),
             "--app-dir", str(folder), *uvicorn_settings],
            cwd=folder,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{ours_port}"
            peer_url = f"http://127.0.0.1:{peer_port}/"
            _wait(f"{base}/healthz", ours)
            _wait(peer_url, peer)
            warm_url = f"{base}/oembed?url={REUTERS_URLS[0]}"
            assert httpx.get(warm_url).json()["embedkit_status"] in ("fresh", "cached")
            wrk(peer_url, 1.0)  # warm-up both
            wrk(warm_url, 1.0)
            peer_load = wrk(peer_url, duration)
            warm = wrk(warm_url, duration)
            cold = wrk(f"{base}/oembed", duration, folder / "cold.lua", str(int(time.time())))
            upstream = simulator.count("/twitter/oembed")
        finally:
            _stop(ours)
            _stop(peer)
    shutil.rmtree(folder, ignore_errors=True)

    def note(load: Load) -> str:
        return (
            f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, errors {load.errors} "
            f"(peer: p50 {peer_load.p50_ms:.1f} ms, p99 {peer_load.p99_ms:.1f} ms, "
            f"errors {peer_load.errors})"
        )

    return [
        Row(
            name=f"serve /oembed, warm, {CONNECTIONS} keep-alive clients",
            ours=warm.rps,
            peer=peer_load.rps,
            unit="req/s",
            peer_name="constant Starlette endpoint",
            goal=0.25,
            goal_text="≥ 0.25× a constant endpoint, 0 errors",
            higher_is_better=True,
            note=note(warm),
            also_met=warm.errors == 0,
        ),
        Row(
            name=f"serve /oembed, cold (a new post per request), {CONNECTIONS} clients",
            ours=cold.rps,
            peer=peer_load.rps,
            unit="req/s",
            peer_name="constant Starlette endpoint",
            goal=0.02,
            goal_text="≥ 0.02× a constant endpoint, 0 errors",
            higher_is_better=True,
            note=note(cold) + f"; {upstream} upstream requests for {cold.requests} answers",
            also_met=cold.errors == 0,
        ),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per load instead of 30 s")
    parser.add_argument("--seconds", type=float, help="seconds per load")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick, seconds=args.seconds)
    print(table(rows))
    for row in rows:
        print(f"- {row.name}: {row.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
