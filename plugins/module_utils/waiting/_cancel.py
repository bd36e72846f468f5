# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cancellation: SIGINT, SIGTERM or SIGHUP stop the waits, start nothing new, and let a power cycle finish.

A cancelled run must not leave a server off. ansible-core ends its worker processes at once on SIGINT and SIGTERM
(the worker's handler kills its own process group); a task that shut a server down would die with the server off.
``cancel_on_signals()`` replaces those handlers while the task runs: a signal only marks the run cancelled. Every
wait of the task sleeps on a ``CancellableClock``, whose ``sleep`` and ``checkpoint`` raise ``Cancelled`` from then
on, so waits end at once and nothing new (a shutdown, a snapshot) is started. The power cycle puts the server back
on a ``shielded()`` clock, whose sleeps still sleep, within ``lock_timeout``. Then the handlers are restored and
the signal is delivered again: the process ends as it would have, the servers back on.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import StepFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# SIGINT: Ctrl-C, and ansible-playbook passing it on to its workers; SIGTERM: a scheduler ending the job, and
# ansible-playbook ending its workers; SIGHUP: the terminal or the SSH session going away.
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Cancelled(StepFailed):
    """The run was cancelled: the step in progress stopped; nothing new was started."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the run was cancelled ({reason}); nothing new was started")
        self.reason = reason


class Cancellation:
    """Whether (and why) the run was cancelled; thread-safe, and its ``wait`` ends as soon as it is."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._requested = False
        self.reason: str | None = None
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        """Whether the run was cancelled."""
        return self._requested

    def cancel(self, reason: str, signum: int | None = None) -> None:
        """Cancel the run (the first reason is kept).

        Called from a signal handler, in the main thread, between any two bytecodes: ansible-core passes SIGINT and
        then SIGTERM on to its worker at once, so a second signal can arrive while the first one's ``Event.set``
        holds the event's lock, and taking it again would deadlock the worker (seen: servers left off for good). The
        flag is set first, without a lock; a later call returns before touching the event. The main thread itself
        never waits on the event (the tasks do, in their threads), so the first call takes a free lock.
        """
        if self._requested:
            return
        self._requested = True
        self.reason, self.signum = reason, signum
        self._event.set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the run is cancelled meanwhile."""
        self._event.wait(seconds)


class CancellableClock(Clock):
    """A clock whose ``sleep`` and ``checkpoint`` raise ``Cancelled`` once the run is cancelled.

    On the real clock (``base=None``) a sleep ends as soon as the run is cancelled; on another clock (the tests'
    fake) it sleeps on that clock. ``shielded()`` is the clock below, for putting things back.
    """

    def __init__(self, cancellation: Cancellation, base: Clock | None = None) -> None:
        self.cancellation = cancellation
        self._base = base or Clock()
        super().__init__(self._base, cancellation.wait if base is None else self._base.sleep, self._base.now)

    def sleep(self, seconds: float) -> None:
        self.checkpoint()
        super().sleep(seconds)
        self.checkpoint()

    def checkpoint(self) -> None:
        if self.cancellation.requested:
            raise Cancelled(self.cancellation.reason or "cancelled")

    def shielded(self) -> Clock:
        return self._base


def _install(signum: int, handler: Any) -> Any:
    previous = signal.getsignal(signum)
    signal.signal(signum, handler)
    return signal.SIG_DFL if previous is None else previous


@contextmanager
def cancel_on_signals(base: Clock | None = None, redeliver: bool = True) -> Iterator[CancellableClock]:
    """A ``CancellableClock`` that SIGINT, SIGTERM and SIGHUP cancel while the block runs.

    Signal handlers can only be set from the main thread: elsewhere the clock is returned unconnected. When the
    block ends, the previous handlers are restored and, with ``redeliver``, the first signal received is sent again
    to this process, which then does what it would have done at once (ansible-core's worker ends itself).
    """
    cancellation = Cancellation()
    clock = CancellableClock(cancellation, base)

    def handler(signum: int, _frame: Any) -> None:
        cancellation.cancel(signal.Signals(signum).name, signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None:
                previous[signum] = _install(signum, handler)
    try:
        yield clock
    finally:
        for signum, restored in previous.items():
            signal.signal(signum, restored)
        if redeliver and cancellation.signum in previous:
            signal.raise_signal(cancellation.signum)  # the restored handler runs before this returns
