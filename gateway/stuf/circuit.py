"""A small circuit breaker: after N failed calls in a row the circuit opens and calls are not
tried for a while; then one trial call (half-open) closes it again or re-opens it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

__all__ = ["CircuitBreaker", "CircuitState"]

CircuitState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(
        self,
        *,
        failures_to_open: int,
        open_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self.state: CircuitState = "closed"
        self.failures = 0
        self._opened_at = 0.0

    def allow(self) -> bool:
        if self.state == "open" and self._clock() - self._opened_at >= self._open_seconds:
            self.state = "half-open"
        return self.state != "open"

    def success(self) -> None:
        self.state = "closed"
        self.failures = 0

    def failure(self) -> None:
        self.failures += 1
        if self.state == "half-open" or self.failures >= self._threshold:
            self.state = "open"
            self._opened_at = self._clock()

    @property
    def seconds_until_trial(self) -> float:
        if self.state != "open":
            return 0.0
        return max(0.0, self._opened_at + self._open_seconds - self._clock())
