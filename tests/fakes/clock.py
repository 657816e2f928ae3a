"""A clock the tests move by hand: code under test sleeps on it, and no test ever waits."""

from __future__ import annotations


class FakeClock:
    """Call it for the time (epoch seconds); `sleep` records the wait and moves the time on."""

    def __init__(self, now: float = 1_795_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds
