"""CPU work of a request (parsing, schema validation, mapping) off the event loop.

A payload of ``threshold`` bytes or more is worked on in a worker thread, so one large body
does not stall every other request, the relay and the group commit; a smaller one is worked on
inline, where the hop to a thread and back would cost more than the work (see
``Settings.offload_min_bytes``). lxml and hashlib release the GIL for most of their work, so
on more than one core the threads also run in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["off_loop"]

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(
    size: int, threshold: int, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """``func(*args, **kwargs)``: in a worker thread when ``size >= threshold``."""
    if size >= threshold:
        return await asyncio.to_thread(func, *args, **kwargs)
    return func(*args, **kwargs)
