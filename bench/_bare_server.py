"""The ceiling: a FastAPI endpoint that only reads the body, served like the gateway."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response

app = FastAPI()


@app.post("/bare")
async def bare(request: Request) -> Response:
    await request.body()
    return Response(b"<ok/>", media_type="text/xml")


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
