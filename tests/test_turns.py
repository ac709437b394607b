"""Untraced passes set up side by side and run their loops alone, in the order they started
(benchmarks/measure/turns.py; docs/measurement.md, "One variant, fresh processes")."""

import os
import threading
import time

import psutil
import pytest

from benchmarks.measure import children, runner
from benchmarks.measure.settings import Settings
from benchmarks.measure.turns import Turns
from benchmarks.workloads import variants as V

SHORT = 0.3  # long enough for a thread that could go on to have gone on


def in_thread(action):
    """`action()` in a thread; the thread, and an Event set once the action returned."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (action(), done.set()), daemon=True)
    thread.start()
    return thread, done


def test_set_ups_run_side_by_side_and_a_loop_waits_for_every_set_up():
    turns = Turns()
    first, second = turns.start_setting_up(), turns.start_setting_up()  # neither waits
    turns.done_setting_up()
    _, looping = in_thread(lambda: turns.take_turn(first))
    assert not looping.wait(SHORT)  # the second child still sets up
    turns.done_setting_up()
    assert looping.wait(5)
    _, second_looping = in_thread(lambda: turns.take_turn(second))
    assert not second_looping.wait(SHORT)  # one loop at a time
    turns.end_turn(first)
    assert second_looping.wait(5)
    turns.end_turn(second)


def test_loops_go_in_the_order_their_passes_started_whoever_is_set_up_first():
    turns = Turns()
    first, second = turns.start_setting_up(), turns.start_setting_up()
    turns.done_setting_up()  # the second pass's child is set up first
    turns.done_setting_up()
    _, second_looping = in_thread(lambda: turns.take_turn(second))
    assert not second_looping.wait(SHORT)
    turns.take_turn(first)
    assert not second_looping.wait(SHORT)
    turns.end_turn(first)
    assert second_looping.wait(5)
    turns.end_turn(second)


def test_a_set_up_waits_while_a_loop_runs_or_waits_and_a_pass_that_leaves_frees_its_place():
    turns = Turns()
    first = turns.start_setting_up()
    turns.done_setting_up()
    turns.take_turn(first)
    tickets = []
    _, setting_up = in_thread(lambda: tickets.append(turns.start_setting_up()))
    assert not setting_up.wait(SHORT)  # no import beside a loop
    turns.end_turn(first)
    assert setting_up.wait(5)
    (broken,) = tickets
    later = turns.start_setting_up()
    turns.done_setting_up()
    turns.done_setting_up()
    turns.leave(broken)  # its child failed before its loop: the next goes
    _, looping = in_thread(lambda: turns.take_turn(later))
    assert looping.wait(5)
    turns.end_turn(later)


def test_a_pass_waiting_for_its_turn_gives_up_when_the_harness_stops(monkeypatch):
    turns = Turns()
    first, second = turns.start_setting_up(), turns.start_setting_up()
    turns.done_setting_up()
    turns.done_setting_up()
    turns.take_turn(first)
    monkeypatch.setattr(children, "stopping", lambda: True)
    with pytest.raises(children.Stopped):
        turns.take_turn(second)


def _two_passes(settings, names, turns):
    found = {}

    def measure(name):
        found[name] = runner.run_pass(V.parse(name), settings, turns=turns)

    threads = [threading.Thread(target=measure, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # the first started first: its loop goes first
    return threads, found


def test_two_untraced_passes_set_up_together_and_loop_one_after_the_other():
    settings = Settings(iters=2000, size=10_000)
    threads, found = _two_passes(settings, ("numpy", "weak-no_grad"), Turns())
    for thread in threads:
        thread.join(120)
    first, second = (found[n] for n in ("numpy", "weak-no_grad"))
    assert first.status == second.status == "ok" and first.iters_done == second.iters_done == 2000
    (start1, ready1), (start2, ready2) = (p.timeline["setup_unix"] for p in (first, second))
    (go1, end1), (go2, _) = (p.timeline["turn_unix"] for p in (first, second))
    assert start2 < ready1 and start1 < ready2  # set up side by side
    assert go1 >= max(ready1, ready2) and go2 >= end1  # each loop alone, the first first
    for p in (first, second):  # the wait for the turn is not in the timeline
        go, end = p.timeline["turn_unix"]
        assert p.timeline["t"] == sorted(p.timeline["t"])
        setup_s = p.timeline["setup_unix"][1] - p.timeline["setup_unix"][0]
        assert p.timeline["t"][-1] <= setup_s + (end - go) + 0.05
        assert p.report["iters_done"] == 2000 and p.kernel_peak_rss_mib > 0


def _untraced(process):
    """Whether `process` is an untraced pass's child (other tests' children may be about)."""
    try:
        return "--wait-for-turn" in process.cmdline()
    except psutil.Error:
        return False


def test_a_child_waiting_for_its_turn_is_killed_when_the_harness_stops(monkeypatch):
    stop = threading.Event()
    monkeypatch.setattr(children, "stopping", stop.is_set)
    # The first loop takes seconds (a few µs an iteration); the second child, set up beside the
    # first in a fraction of a second, waits for its turn meanwhile.
    settings = Settings(iters=2_000_000, size=100, timeout_s=120)
    turns = Turns()
    threads, found = _two_passes(settings, ("numpy", "weak-no_grad"), turns)
    try:
        deadline = time.monotonic() + 60
        while turns.now() != (0, True, 1):  # the first looping, the second waiting its turn
            assert time.monotonic() < deadline, f"never one loop and one wait: {turns.now()}"
            time.sleep(0.02)
        both = [c for c in psutil.Process(os.getpid()).children() if _untraced(c)]
        assert len(both) == 2
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert all(not t.is_alive() for t in threads)
    first, second = found["numpy"], found["weak-no_grad"]
    for p in (first, second):
        assert p.status == "error" and "the harness is stopping" in p.error
    assert first.timeline["turn_unix"] is not None and second.iters_done == 0
    assert second.timeline["turn_unix"] is None and second.timeline["setup_unix"][1] is not None
    for child in both:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
