"""An open-loop HTTP load generator: request i is sent at t0 + i/rate whatever happened to the
requests before it, and its latency is counted from that scheduled time, not from when a
socket became free. A server that stalls therefore shows its stall in every request that
was due meanwhile (no coordinated omission).

Plain asyncio streams and HTTP/1.1, one connection per request (gunicorn's sync workers
close the connection after each response anyway), so the generator needs nothing beyond
the standard library and costs little CPU beside the server it measures.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MakeRequest = Callable[[int], bytes]  # the raw bytes of request number i


def request_bytes(method: str, path: str, *, host: str, headers: dict | None = None, body: dict | None = None) -> bytes:
    """One raw HTTP/1.1 request."""
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Outcome:
    """One request: when it was due, when its answer was complete, its status (0: no answer)."""

    index: int
    scheduled: float
    done: float
    status: int
    body: bytes = b""

    @property
    def latency(self) -> float:
        return self.done - self.scheduled

    @property
    def ok(self) -> bool:
        # 304: the answer a conditional read wants when the client's copy is current.
        return 200 <= self.status < 300 or self.status == 304


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile of `values` (share in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency_summary(seconds: Sequence[float]) -> dict:
    """p50/p95/p99/max in milliseconds."""
    return {
        name: None if (v := percentile(seconds, share)) is None else round(v * 1000, 2)
        for name, share in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99), ("max_ms", 1.0))
    }


@dataclass
class LoadResult:
    offered_rate: float
    outcomes: list[Outcome] = field(repr=False)

    @property
    def ok(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def errors(self) -> int:
        return len(self.outcomes) - self.ok

    @property
    def throughput(self) -> float:
        """Successful answers per second, from the first due time to the last answer."""
        if not self.outcomes:
            return 0.0
        span = max(o.done for o in self.outcomes) - min(o.scheduled for o in self.outcomes)
        return self.ok / span if span > 0 else 0.0

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[str(outcome.status or "no_answer")] = counts.get(str(outcome.status or "no_answer"), 0) + 1
        return dict(sorted(counts.items()))

    def summary(self) -> dict:
        return {
            "offered_rate": round(self.offered_rate, 1),
            "sent": len(self.outcomes),
            "ok": self.ok,
            "errors": self.errors,
            "error_share": round(self.errors / len(self.outcomes), 4) if self.outcomes else 0.0,
            "throughput": round(self.throughput, 1),
            **latency_summary([o.latency for o in self.outcomes if o.ok]),
            "statuses": self.statuses(),
        }


async def _exchange(host: str, port: int, payload: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(payload)
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = await (reader.readexactly(length) if length is not None else reader.read())
        return status, body
    finally:
        writer.close()


async def _answer(host: str, port: int, payload: bytes, timeout: float) -> tuple[int, bytes]:
    try:
        return await asyncio.wait_for(_exchange(host, port, payload), timeout=max(timeout, 0.001))
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        return 0, b""  # no answer in time, refused, or cut off: an error


async def _open_loop(
    host: str,
    port: int,
    make: MakeRequest,
    count: int,
    rate: float,
    timeout: float,
    max_inflight: int,
    keep_bodies: bool,
) -> list[Outcome]:
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(max_inflight)
    outcomes: list[Outcome] = []

    async def one(index: int, due: float, payload: bytes) -> None:
        async with slots:
            status, body = await _answer(host, port, payload, due + timeout - loop.time())
        outcomes.append(Outcome(index, due, loop.time(), status, body if keep_bodies else b""))

    start = loop.time() + 0.05
    tasks = []
    for index in range(count):
        payload = make(index)
        due = start + index / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(loop.create_task(one(index, due, payload)))
    await asyncio.gather(*tasks)
    return sorted(outcomes, key=lambda o: o.index)


async def _closed_loop(
    host: str, port: int, make: MakeRequest, concurrency: int, duration: float, timeout: float
) -> list[Outcome]:
    loop = asyncio.get_running_loop()
    end = loop.time() + duration
    outcomes: list[Outcome] = []
    issued = iter(range(10**9))

    async def client() -> None:
        while loop.time() < end:
            index = next(issued)
            payload, sent = make(index), loop.time()
            status, _ = await _answer(host, port, payload, timeout)
            outcomes.append(Outcome(index, sent, loop.time(), status))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return sorted(outcomes, key=lambda o: o.index)


def run_open_loop(
    host: str,
    port: int,
    make: MakeRequest,
    *,
    rate: float,
    count: int,
    timeout: float = 10.0,
    max_inflight: int = 256,
    keep_bodies: bool = False,
) -> LoadResult:
    """Send `count` requests at `rate` per second on a fixed schedule; block until every one ended."""
    return LoadResult(rate, asyncio.run(_open_loop(host, port, make, count, rate, timeout, max_inflight, keep_bodies)))


def run_closed_loop(
    host: str, port: int, make: MakeRequest, *, concurrency: int, duration: float, timeout: float = 10.0
) -> LoadResult:
    """`concurrency` clients each sending the next request as soon as the last one is answered:
    the server's saturated throughput (latencies here include queueing at the server)."""
    result = LoadResult(0.0, asyncio.run(_closed_loop(host, port, make, concurrency, duration, timeout)))
    result.offered_rate = len(result.outcomes) / duration
    return result
