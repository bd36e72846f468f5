"""The fleet benchmark of lockaware.hcloud: ``python bench/run.py``, run from the repository root.

Every strategy runs against ``hcloud_sim`` on a freshly reset simulator with the same seeded fleet:

- ``fleet.py``: the seeded fleet spec, its ideal completion time, the static inventory;
- ``baseline_script.py``: the sequential script people write today (the ``hcloud`` library);
- ``strategies.py``: how each strategy is launched (baseline, snapshot_hosts.yml, snapshot_fleet.yml);
- ``measure.py``: watching the simulator, the request log, CPU and memory of the controller;
- ``micro.py``: the lookup over 1000 servers and the per-task overhead of the snapshot module;
- ``report.py``: the Markdown table, the goals, the request breakdowns;
- ``chart.py``: the PNG chart of the 50-server run;
- ``run.py``: the command line.
"""

from __future__ import annotations
