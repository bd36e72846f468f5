"""The chart of one fleet size: per strategy, one row per server (lock, wait for the tool, snapshot), and requests per minute."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from bench.strategies import LABELS, RunResult

COLOURS = {"lock": "#9e9e9e", "wait": "#f4a259", "snapshot": "#3a7dc9"}
LINE_COLOURS = {"baseline": "#c0392b", "hosts": "#8e44ad", "fleet": "#27ae60"}


def plot_size(results: list[RunResult], speed: float, path: Path) -> Path:
    """Draw the runs of one fleet size (one panel per strategy, shared time axis) and the request rate below."""
    size = results[0].size
    names = sorted(results[0].servers)
    ends = [result.all_available or 0.0 for result in results] + [max((t.snapshot_end or 0.0) for t in result.servers.values()) for result in results]
    right = max([*ends, results[0].ideal]) * 1.05
    figure = plt.figure(figsize=(6.2 * len(results), 13), dpi=100)
    grid = figure.add_gridspec(2, len(results), height_ratios=[4, 1.2], hspace=0.25, wspace=0.08)
    first_axis = None
    for column, result in enumerate(results):
        axis = figure.add_subplot(grid[0, column], sharex=first_axis, sharey=first_axis)
        first_axis = first_axis or axis
        _timeline_panel(axis, result, names, right)
        if column:
            axis.tick_params(labelleft=False)
    rate_axis = figure.add_subplot(grid[1, :])
    for result in results:
        times = [point[0] for point in result.requests.rate]
        counts = [point[1] for point in result.requests.rate]
        rate_axis.plot(times, counts, label=LABELS[result.strategy], color=LINE_COLOURS.get(result.strategy), linewidth=1.8)
    rate_axis.set_xlim(0, right)
    rate_axis.set_xlabel("simulated seconds since the fleet was loaded")
    rate_axis.set_ylabel("requests in the last\nsimulated minute")
    rate_axis.grid(alpha=0.3)
    rate_axis.legend(loc="upper right")
    legend = [
        Patch(color=COLOURS["lock"], label="locked by another action"),
        Patch(color=COLOURS["wait"], label="free, not yet started by the tool"),
        Patch(color=COLOURS["snapshot"], label="snapshot being created"),
    ]
    figure.legend(handles=legend, loc="upper center", ncol=3, frameon=False, fontsize=11, bbox_to_anchor=(0.5, 0.955))
    figure.suptitle(f"{size} servers: when each server's snapshot was taken (speed {speed:g}; dashed: ideal, solid: all available)", fontsize=14, y=0.985)
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def _timeline_panel(axis: plt.Axes, result: RunResult, names: list[str], right: float) -> None:
    for row, name in enumerate(names):
        timeline = result.servers[name]
        if timeline.lock_end:
            axis.barh(row, timeline.lock_end, left=0, height=0.8, color=COLOURS["lock"])
        if timeline.create_start is not None and timeline.create_start > timeline.lock_end:
            axis.barh(row, timeline.create_start - timeline.lock_end, left=timeline.lock_end, height=0.8, color=COLOURS["wait"])
        if timeline.create_start is not None and timeline.snapshot_end is not None:
            axis.barh(row, timeline.snapshot_end - timeline.create_start, left=timeline.create_start, height=0.8, color=COLOURS["snapshot"])
    axis.axvline(result.ideal, color="black", linestyle="--", linewidth=1.2)
    if result.all_available is not None:
        axis.axvline(result.all_available, color="black", linewidth=1.2)
    ratio = "not all available" if result.ratio is None else f"{result.ratio:.2f}x ideal"
    axis.set_title(f"{LABELS[result.strategy]}\n{ratio}, {result.requests.total} requests", fontsize=12)
    axis.set_yticks(range(len(names)))
    axis.set_yticklabels(names, fontsize=6)
    axis.set_ylim(len(names) - 0.5, -0.5)
    axis.set_xlim(0, right)
    axis.grid(axis="x", alpha=0.3)
