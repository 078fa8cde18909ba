"""Time left: measured after the warm-up, or taken from the last run's speed until then."""

from __future__ import annotations

import pytest

from digitpad.eta import Eta


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(eta: Eta, clock: Clock, warmup: float, seconds: float, reports: int = 200):
    """Feed a run that reports first after ``warmup`` s, then steadily for ``seconds``."""
    answers = []
    for i in range(reports + 1):
        fraction = i / reports
        clock.now = warmup + seconds * fraction
        answers.append((clock.now, eta.update(fraction)))
    return answers


@pytest.mark.parametrize("warmup", [0.0, 3.0, 12.0])
def test_every_estimate_is_within_a_quarter_of_the_truth(warmup):
    clock = Clock()
    answers = run(Eta(clock), clock, warmup, seconds=20.0)
    end = warmup + 20.0
    given = [(now, left) for now, left in answers if left is not None]
    assert given, "an estimate appears once enough of the run has passed"
    assert given[0][0] <= warmup + 2.0  # within about 2 s of the first report
    for now, left in given[:-1]:
        truth = end - now
        if truth > 1.0:
            assert abs(left - truth) <= 0.25 * truth, (now, left, truth)


def test_a_slow_first_report_does_not_inflate_the_first_estimate():
    # The old estimate (elapsed since start / fraction) said 76 s when 10 s remained.
    clock = Clock()
    eta = Eta(clock)
    clock.now = 13.0
    assert eta.update(0.01) is None  # too early to tell, and no earlier run to go by
    clock.now = 15.0
    left = eta.update(0.2)
    assert left == pytest.approx(2.0 / 0.19 * 0.8)


def test_the_last_runs_speed_answers_before_the_first_measurement():
    clock = Clock()
    eta = Eta(clock)
    eta.expect(30.0)
    assert eta.update(0.0) == pytest.approx(30.0)
    clock.now = 0.5
    assert eta.update(0.01) == pytest.approx(29.7)
    eta.expect(-1)
    clock.now = 0.6
    assert eta.update(0.011) is None


def test_a_run_that_slows_down_is_judged_by_its_current_pace():
    # 20 s at full speed for the first half, then a third slower: an estimate from the
    # average since the start would stay short by up to a quarter to the end.
    clock = Clock()
    eta = Eta(clock)
    answers = []
    for i in range(201):
        fraction = i / 200
        clock.now = 20.0 * min(fraction, 0.5) + 20.0 * 1.5 * max(0.0, fraction - 0.5)
        answers.append((clock.now, eta.update(fraction)))
    end = 10.0 + 15.0
    late = [(now, left) for now, left in answers if now >= 15.0 and end - now > 1.0]
    assert late
    for now, left in late:
        truth = end - now
        assert abs(left - truth) <= 0.1 * truth, (now, left, truth)
