"""How long a run has left, from how far it is and how fast it has been going.

The first report of a training run comes after its warm-up (threads starting,
the first batches slower than the rest), so the rate is measured from that
report on, not from the start, and only once enough of the run has passed to
trust it. Until then the estimate comes from the previous run's speed when the
caller knows it (:meth:`Eta.expect`), else there is none. The rate is that of
the recent part of the run: a run whose epochs grow slower as it goes (measured:
about 15% between the first and the last epochs of a retrain), or a machine
that gets busier, is judged by how fast it goes now, not by how it started.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

# Measure the rate over at least this much of the run and this many seconds.
MIN_FRACTION = 0.02
MIN_SECONDS = 1.5
# The rate is measured over this share of the time since the first report (at least
# MIN_SECONDS): long enough to smooth the pauses between epochs, short enough to follow
# a change of pace.
RECENT_SHARE = 0.3


class Eta:
    """Feed it the fraction done (0–1) as reports come; it answers seconds left or None."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._first: tuple[float, float] | None = None  # (time, fraction) of the first report
        self._expected: float | None = None  # whole-run seconds from an earlier run's speed
        self._recent: deque[tuple[float, float]] = deque()  # (time, fraction) of reports

    def expect(self, seconds: float | None) -> None:
        """The run should take about ``seconds`` in all (from the last run's speed)."""
        self._expected = seconds if seconds and seconds > 0 else None

    def update(self, fraction: float) -> float | None:
        now = self._clock()
        fraction = min(max(fraction, 0.0), 1.0)
        if self._first is None:
            self._first = (now, fraction)
        t0, f0 = self._first
        done, elapsed = fraction - f0, now - t0
        recent = self._recent
        recent.append((now, fraction))
        span = max(MIN_SECONDS, RECENT_SHARE * elapsed)
        while len(recent) > 2 and now - recent[1][0] >= span:
            recent.popleft()  # the oldest left is the newest report at least ``span`` ago
        if done >= MIN_FRACTION and elapsed >= MIN_SECONDS:
            t, f = recent[0]
            if fraction > f and now > t:
                return (now - t) / (fraction - f) * (1.0 - fraction)
            return elapsed / done * (1.0 - fraction)
        if self._expected is not None:
            return self._expected * (1.0 - fraction)
        return None
