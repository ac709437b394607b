"""Untraced passes set up side by side and run their loops alone, one after another.

An untraced pass times its loop and samples its RSS, which anything running beside it moves.
What comes before its loop (starting Python, importing numpy or PyTorch, setting the engine up)
is not measured: two children may do that at once, on the two cores, while no loop runs. A
child started with `--wait-for-turn` sets itself up, says so on its progress page
(`probes.READY`) and waits; its loop starts when the parent takes its turn here, which it gets
once no other child sets up or loops and every pass started before it has had its loop. A pass
that wants its turn goes before any set-up that has not started yet, so loops are never put off
by a stream of set-ups.
"""

import collections
import contextlib
import threading
import time

from . import children

# How often a waiting thread looks at whether the harness is stopping.
CHECK_S = 0.05


class Turns:
    """Set-ups side by side, loops alone and in the order their passes started: shared by the
    untraced passes of one phase. Each pass holds a ticket from `start_setting_up` until its
    loop ends (`end_turn`) or it leaves without one (`leave`)."""

    def __init__(self):
        self._changed = threading.Condition()
        self._setting_up = 0
        self._looping = False
        self._queue = collections.deque()  # tickets in the order their passes started

    def start_setting_up(self):
        """Wait until no loop runs or waits, then count one more set-up under way: its ticket."""
        with self._changed:
            self._wait_until(lambda: not self._looping and not self._waiting())
            self._setting_up += 1
            ticket = object()
            self._queue.append(ticket)
            return ticket

    def done_setting_up(self):
        with self._changed:
            self._setting_up -= 1
            self._changed.notify_all()

    def take_turn(self, ticket):
        """Wait until no other child sets up or loops and the passes started before have had
        their loops; the caller's loop then runs alone."""
        with self._changed:
            self._wait_until(
                lambda: self._queue[0] is ticket and not self._looping and not self._setting_up
            )
            self._looping = True

    def end_turn(self, ticket):
        with self._changed:
            self._looping = False
            self._queue.remove(ticket)
            self._changed.notify_all()

    def leave(self, ticket):
        """The pass ends without a loop (its child failed, or the harness stops)."""
        with self._changed:
            self._queue.remove(ticket)
            self._changed.notify_all()

    def now(self):
        """(set-ups under way, whether a loop runs, passes waiting for their turn)."""
        with self._changed:
            return self._setting_up, self._looping, self._waiting()

    def _waiting(self):
        # Every pass holds its ticket from its set-up to its loop's end: those neither setting
        # up nor looping are set up and waiting.
        return len(self._queue) - self._setting_up - self._looping

    def _wait_until(self, ready):
        # Woken by every change, and every CHECK_S to see whether the harness is stopping: then
        # no set-up and no loop starts, even one whose turn has just come.
        while True:
            if children.stopping():
                raise children.Stopped("the harness is stopping: no new turn")
            if ready():
                return
            self._changed.wait(CHECK_S)


class Turn:
    """One untraced pass's place in `turns`: setting up from before its child starts, then
    waiting for its loop's turn, then looping until its child ends."""

    def __init__(self, turns):
        self.ticket = turns.start_setting_up()
        self.turns, self.state = turns, "setting up"
        self.started = time.time()
        self.ready = self.go = None

    def take(self, child):
        """The child is set up: wait for the turn, then start its loop; the seconds waited."""
        self.ready = time.time()
        self.turns.done_setting_up()
        self.state = "waiting"
        self.turns.take_turn(self.ticket)  # children.Stopped if the harness stops meanwhile
        self.state = "looping"
        self.go = time.time()
        with contextlib.suppress(OSError):  # a child already gone: its exit is seen next
            child.stdin.write(b"g")
            child.stdin.close()
        return self.go - self.ready

    def facts(self):
        """Once the child has ended, for its timeline (Unix times): when it set up, and its
        turn, from the start of its loop to its end (null if none came)."""
        ready, go = (round(x, 3) if x else None for x in (self.ready, self.go))
        turn = [go, round(time.time(), 3)] if go else None
        return {"setup_unix": [round(self.started, 3), ready], "turn_unix": turn}

    def close(self):
        if self.state == "setting up":
            self.turns.done_setting_up()
        if self.state == "looping":
            self.turns.end_turn(self.ticket)
        elif self.state != "done":
            self.turns.leave(self.ticket)
        self.state = "done"
