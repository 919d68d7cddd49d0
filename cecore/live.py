"""Live training in a shared server: trainings take turns, live charts redraw on a budget,
and what a run cost is said in words.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager


class TrainingTurns:
    """Trainings in one server take turns: at most ``slots`` of them compute epochs at once,
    each for about ``slice_seconds`` before it hands over, first come first served.

    Python runs one thread's bytecode at a time (the GIL). Four trainings running side by
    side would each get about a quarter of it anyway, and the threads that answer the other
    visitors (the server's event loop, an explorer page's rerun) would queue behind all four
    of them at every switch. Taking turns, they queue behind one. Each run's epochs and
    results are exactly those it computes alone.

    ``active`` counts the trainings inside :meth:`take`, running or waiting: a
    :class:`Throttle` given this object redraws its live chart that many times less often.
    """

    def __init__(self, slots=1, slice_seconds=0.05, clock=time.perf_counter):
        self.slots = slots
        self.slice_seconds = slice_seconds
        self.clock = clock
        self.running = 0
        self.active = 0
        self._lock = threading.Lock()
        self._waiting = deque()

    def _acquire(self):
        with self._lock:
            if self.running < self.slots and not self._waiting:
                self.running += 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        try:
            turn.wait()  # the slot is handed over with `running` unchanged
        except BaseException:  # interrupted while waiting (Ctrl-C in a notebook or a CLI)
            with self._lock:
                handed_over = turn not in self._waiting
                if not handed_over:
                    self._waiting.remove(turn)
            if handed_over:
                self._release()
            raise

    def _release(self):
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self.running -= 1

    def take(self, records):
        """Yield the items of ``records`` (a generator that computes as it advances), advancing
        it only during this caller's turns. The caller works on each turn's items (draws them)
        after the turn is handed over."""
        records = iter(records)
        finished = False
        with self._lock:
            self.active += 1
        try:
            while not finished:
                self._acquire()
                batch = []
                try:
                    deadline = self.clock() + self.slice_seconds
                    for record in records:
                        batch.append(record)
                        if self.clock() >= deadline:
                            break
                    else:
                        finished = True
                finally:
                    self._release()
                yield from batch
        finally:
            with self._lock:
                self.active -= 1


class Throttle:
    """When to redraw a live chart: at most every ``interval`` seconds (times the number of
    trainings active in ``shared``, a :class:`TrainingTurns`, if given), and so that drawing
    takes at most a ``share`` of the wall-clock time.

    After a redraw that took ``c`` seconds, the next is due ``max(interval * n, c / share)``
    later, ``n`` the active trainings at that moment: the live charts of all visitors together
    redraw about ``1 / interval`` times a second, and redraws cost at most
    ``share / (1 + share)`` of the time however slow they are.
    """

    def __init__(self, interval=0.25, share=0.1, clock=time.perf_counter, shared=None):
        self.interval = interval
        self.share = share
        self.clock = clock
        self.shared = shared
        self.next_due = clock()
        self.redraws = 0
        self.seconds = 0.0

    def due(self):
        return self.clock() >= self.next_due

    @contextmanager
    def redraw(self):
        """Time the redraw inside the ``with`` block and schedule the next one."""
        started = self.clock()
        yield
        cost = self.clock() - started
        self.redraws += 1
        self.seconds += cost
        at_once = max(1, self.shared.active) if self.shared is not None else 1
        self.next_due = started + cost + max(self.interval * at_once, cost / self.share)


def format_duration(seconds: float) -> str:
    """A duration as people read it: ``0.4 ms``, ``38 ms``, ``1.25 s``, ``2 min 05 s``."""
    if seconds < 0.0095:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 0.9995:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 59.995:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def live_cost_caption(n_epochs: int, training_seconds: float, cost: dict) -> str:
    """What a run cost, split between training and the live chart: ``cost`` holds the
    wall-clock ``seconds`` of the live loop, the ``drawing`` seconds and the ``redraws``."""
    share = cost["drawing"] / cost["seconds"] if cost["seconds"] > 0 else 0.0
    redraws = cost["redraws"]
    return (
        f"{n_epochs:,} epoch{'s' if n_epochs != 1 else ''} in "
        f"{format_duration(training_seconds)} of training; the live chart took "
        f"{format_duration(cost['drawing'])} ({share:.0%} of the time) for {redraws} "
        f"redraw{'s' if redraws != 1 else ''}."
    )
