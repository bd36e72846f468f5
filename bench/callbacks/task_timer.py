"""A callback plugin that writes how long each task took, as JSON, to the file named by ``BENCH_TASK_TIMES``.

ansible-core has no ``profile_tasks`` (it lives in the ansible.posix collection), so the benchmark brings this one:

    ANSIBLE_CALLBACK_PLUGINS=bench/callbacks ANSIBLE_CALLBACKS_ENABLED=task_timer BENCH_TASK_TIMES=times.json ansible-playbook ...

A task's time runs from its start (before the worker forks) to its last host's result.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_timer
type: aggregate
short_description: Write each task's duration to the JSON file named by BENCH_TASK_TIMES
description:
  - Used by the benchmark of lockaware.hcloud (bench/micro.py).
"""


class CallbackModule(CallbackBase):
    """Records task start and result times."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tasks: list[dict[str, object]] = []
        self._current: dict[str, object] | None = None

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        """A task starts."""
        self._current = {"name": task.get_name(), "started": time.monotonic(), "seconds": None, "status": None}
        self._tasks.append(self._current)

    def _result(self, status: str) -> None:
        if self._current is not None:
            self._current["seconds"] = time.monotonic() - float(self._current["started"])  # type: ignore[arg-type]
            self._current["status"] = status

    def v2_runner_on_ok(self, result) -> None:
        """A host's result: ok."""
        self._result("ok")

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        """A host's result: failed."""
        self._result("failed")

    def v2_runner_on_skipped(self, result) -> None:
        """A host's result: skipped."""
        self._result("skipped")

    def v2_playbook_on_stats(self, stats) -> None:
        """The play is over: write the file."""
        path = os.environ.get("BENCH_TASK_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as out:
                json.dump([{key: value for key, value in task.items() if key != "started"} for task in self._tasks], out)
