"""The upload load generator, in its own process: one HTTP/1.1 POST over a raw asyncio
socket, the file streamed in 1 MiB pieces. Prints timings and the gateway's answer as JSON.

    python bench/_upload_client.py PORT API_KEY FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def upload(port: int, key: str, path: Path) -> dict[str, object]:
    size = path.stat().st_size
    started = time.perf_counter()
    wall_started = time.time()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/uploads?format=csv HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: text/csv\r\n"
        f"X-File-Name: {path.name}\r\nContent-Length: {size}\r\n\r\n"
    )
    writer.write(head.encode())
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            writer.write(chunk)
            await writer.drain()
    sent = time.perf_counter()
    raw = await reader.read()
    answered = time.perf_counter()
    writer.close()
    header, _, body = raw.partition(b"\r\n\r\n")
    return {
        "status": int(header.split(b" ", 2)[1]),
        "answer": json.loads(body),
        "started_wall": wall_started,
        "send_seconds": sent - started,
        "answer_seconds": answered - started,
    }


def main() -> None:
    port, key, path = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    sys.stdout.write(json.dumps(asyncio.run(upload(port, key, path))) + "\n")


if __name__ == "__main__":
    main()
