"""Waiting on a state instead of sleeping: ``eventually`` polls a check until it holds or a
deadline passes, and then fails saying what it waited for and what it saw last."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

__all__ = ["eventually"]

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T | None],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Awaitable[T | None]] | Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    what: str = "",
) -> T:
    """Calls ``check`` (sync or async) until it returns something truthy and returns that.
    An ``AssertionError`` raised by ``check`` counts as "not yet"; after ``timeout`` the last
    result or assertion is part of the failure, so the failure says what was missing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    description = what or getattr(check, "__name__", repr(check))
    while True:
        last: object
        try:
            outcome = check()
            result = await outcome if inspect.isawaitable(outcome) else outcome
        except AssertionError as failed:
            last = failed
        else:
            if result:
                return result
            last = result
        if loop.time() > deadline:
            raise AssertionError(f"not met within {timeout}s: {description} (last: {last!r})")
        await asyncio.sleep(interval)
