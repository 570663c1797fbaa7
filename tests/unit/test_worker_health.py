"""Heartbeats of worker loops, on a clock the test moves."""

from shared.worker_health import Heartbeats, health


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_loop_is_stalled_once_it_has_not_beaten_for_longer_than_the_window():
    clock = Clock()
    beats = Heartbeats(clock)
    beats.watch("relay")
    beats.watch("consumer:a")
    clock.now += 100
    beats.beat("relay")
    beats.beat("not watched")  # threads nobody watches are ignored
    clock.now += 30
    assert beats.ages() == {"relay": 30.0, "consumer:a": 130.0}
    assert beats.stalled(120) == ["consumer:a"]
    status, document = health(beats, 120, "svc")
    assert (status, document["stalled"]) == (503, ["consumer:a"])
    beats.beat("consumer:a")
    assert health(beats, 120, "svc")[0] == 200


def test_no_loop_yet_is_alive():
    assert health(Heartbeats(Clock()), 120, "svc") == (
        200,
        {"status": "alive", "window_seconds": 120, "seconds_since_progress": {}},
    )
