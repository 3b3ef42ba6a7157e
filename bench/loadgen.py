"""An efficient HTTP/1.1 load generator on raw asyncio sockets, run as its own process.

Reads request bodies from a file (one JSON body per line), sends them over N keep-alive
connections, prints one JSON line: count, status counts, seconds, latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from urllib.parse import urlsplit


async def worker(
    host: str,
    port: int,
    path: str,
    headers: bytes,
    bodies: list[bytes],
    queue: asyncio.Queue[int],
    statuses: Counter[int],
    latencies: list[float],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            body = bodies[index]
            started = time.perf_counter()
            writer.write(
                b"POST "
                + path.encode()
                + b" HTTP/1.1\r\n"
                + headers
                + b"Content-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            status_line = await reader.readuntil(b"\r\n")
            length = 0
            while True:
                line = await reader.readuntil(b"\r\n")
                if line == b"\r\n":
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(status_line.split()[1])] += 1
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    with open(args.bodies, "rb") as handle:
        bodies = [line.rstrip(b"\n") for line in handle if line.strip()]
    headers = b"".join(h.encode() + b"\r\n" for h in [f"Host: {parts.netloc}", *args.header])
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(
            worker(
                parts.hostname or "127.0.0.1",
                parts.port or 80,
                parts.path,
                headers,
                bodies,
                queue,
                statuses,
                latencies,
            )
            for _ in range(args.concurrency)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        )

    print(
        json.dumps(
            {
                "requests": len(bodies),
                "statuses": dict(statuses),
                "seconds": elapsed,
                "started": started,
                "p50_ms": pct(0.5),
                "p99_ms": pct(0.99),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
