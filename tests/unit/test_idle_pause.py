"""An idle relay waits 10 ms between reads while events are recent, then backs off to its
longest pause, and goes back to 10 ms as soon as it has work (shared/idle_pause.py)."""

from shared.idle_pause import SHORT_FOR_SECONDS, IdlePause


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_pause_stays_short_for_a_second_then_doubles_up_to_the_longest_and_resets_on_work():
    clock = Clock()
    pause = IdlePause(0.01, 0.25, clock=clock)
    assert pause.next() == 0.01
    clock.now += SHORT_FOR_SECONDS / 2
    assert pause.next() == 0.01
    clock.now += SHORT_FOR_SECONDS
    grown = [pause.next() for _ in range(8)]
    assert grown[:4] == [0.02, 0.04, 0.08, 0.16]
    assert grown[4:] == [0.25] * 4
    pause.worked()
    assert pause.next() == 0.01
