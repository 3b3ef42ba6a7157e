"""HTTP/1.1 load generator on raw asyncio sockets (keep-alive, one request in flight per
connection), run as its own process so the server under test has the cores it can get.

    python bench/_load.py --port 8080 --path /stuf/v1/flextensie --concurrency 50 \
        --duration 10 --kind stuf --key <api key>

Prints one JSON line: requests, errors, seconds, rate, p50_ms, p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._messages import stuf_request_body


async def _connection(
    args: argparse.Namespace, worker: int, stop_at: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    n = 0
    try:
        while time.perf_counter() < stop_at:
            n += 1
            if args.kind == "stuf":
                body = stuf_request_body(worker, n)
                extra = (
                    'SOAPAction: "http://www.flextensie.nl/StUF/sector/fx/0100/kandidaatLk01"\r\n'
                )
                content_type = "text/xml; charset=utf-8"
            else:
                body = stuf_request_body(worker, n)
                extra = ""
                content_type = "text/xml; charset=utf-8"
            head = (
                f"POST {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {args.key}\r\nContent-Type: {content_type}\r\n{extra}"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readuntil(b"\r\n")
            headers = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in headers.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line or (args.kind == "stuf" and b"Bv03" not in payload):
                errors.append(status_line.decode(errors="replace").strip())
    finally:
        writer.close()


async def main(args: argparse.Namespace) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    if args.warmup:
        warm_stop = time.perf_counter() + args.warmup
        await asyncio.gather(
            *(_connection(args, 500 + i, warm_stop, [], []) for i in range(args.concurrency))
        )
    started = time.perf_counter()
    stop_at = started + args.duration
    await asyncio.gather(
        *(_connection(args, i, stop_at, latencies, errors) for i in range(args.concurrency))
    )
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 2)
            if latencies
            else 0.0
        )

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": len(errors),
                "first_error": errors[0] if errors else None,
                "seconds": round(seconds, 3),
                "rate": round(len(latencies) / seconds, 1),
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--key", default="")
    parser.add_argument("--kind", choices=["stuf", "bare"], default="stuf")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(main(parser.parse_args()))
