"""The figures a benchmark produces, the machine they were taken on, and how they are printed."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"


@dataclass
class Figure:
    """One measured value beside the baseline measured in the same run.

    `ratio` is value / baseline unless the benchmark says otherwise (then `ratio_note` says
    what it is); `target` is the goal in words ("<= 1.3x"), `met` whether this run met it.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class BenchResult:
    """What one benchmark run reports: its parameters, figures and free-form details."""

    name: str
    title: str
    params: dict[str, object] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> BenchResult:
        figures = [Figure(**item) for item in data.pop("figures", [])]
        return cls(figures=figures, **data)


def machine() -> dict[str, object]:
    """Cores, RAM, CPU model, Python: the machine the figures belong to."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_mb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_mb": ram_mb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def fmt(value: float | None, unit: str = "") -> str:
    """A number short enough for a table cell."""
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.1f} %"
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def _cells(figure: Figure) -> list[str]:
    met = {True: "yes", False: "NO", None: ""}[figure.met]
    baseline = fmt(figure.baseline, figure.unit) if figure.baseline is not None else "-"
    if figure.baseline_label:
        baseline = f"{baseline} ({figure.baseline_label})"
    ratio = "-" if figure.ratio is None else f"{figure.ratio:.2f}x"
    return [figure.name, fmt(figure.value, figure.unit), baseline, ratio, figure.target, met]


HEADER = ["figure", "value", "baseline (same run)", "ratio", "target", "met"]


def table(results: list[BenchResult]) -> str:
    """A plain-text table of every figure, grouped by benchmark."""
    rows: list[list[str]] = []
    for result in results:
        if result.error:
            rows.append([f"[{result.name}] FAILED: {result.error}", "", "", "", "", ""])
            continue
        for figure in result.figures:
            rows.append(_cells(figure))
    widths = [max(len(HEADER[i]), *(len(r[i]) for r in rows)) if rows else 10 for i in range(6)]
    widths = [min(w, 70) for w in widths]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def markdown(results: list[BenchResult]) -> str:
    """The same table in Markdown, plus each benchmark's parameters and notes."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for result in results:
        if result.error:
            lines.append(f"| {result.name}: FAILED ({result.error}) | | | | | |")
            continue
        for figure in result.figures:
            cells = [c.replace("|", "\\|") for c in _cells(figure)]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        lines.append(
            f"**{result.title}** ({result.seconds:.0f} s) — parameters: " + params_text(result)
        )
        for figure in result.figures:
            if figure.note:
                lines.append(f"- {figure.name}: {figure.note}")
        lines.append("")
    return "\n".join(lines)


def params_text(result: BenchResult) -> str:
    return ", ".join(f"{key}={value}" for key, value in result.params.items())


def write_json(results: list[BenchResult], info: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"machine": info, "results": [r.to_json() for r in results]}
    path.write_text(json.dumps(data, indent=2, default=str))


def _rss_kb(pid: int, field: str = "VmRSS:") -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """The kernel's record of a live process's peak resident memory (VmHWM), in MB."""
    return _rss_kb(pid, "VmHWM:") / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def process_tree(pid: int, exclude: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """`pid` and all its descendants, leaving out `exclude` and their descendants."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in exclude:
            continue
        tree.append(current)
        todo.extend(_children(current))
    return tree


class MemorySampler:
    """Samples the resident memory of a process and its descendants in a thread.

    `peak_self_mb` is the process alone, `peak_tree_mb` the sum over the tree at the worst
    moment (process-pool workers included); `exclude` leaves out helper processes such as
    the local web server.
    """

    def __init__(self, pid: int | None = None, *, interval: float = 0.05) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.exclude: set[int] = set()
        self.peak_self_kb = 0
        self.peak_tree_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        pids = process_tree(self.pid, self.exclude)
        sizes = {pid: _rss_kb(pid) for pid in pids}
        self.peak_self_kb = max(self.peak_self_kb, sizes.get(self.pid, 0))
        self.peak_tree_kb = max(self.peak_tree_kb, sum(sizes.values()))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    @property
    def peak_self_mb(self) -> float:
        return self.peak_self_kb / 1024

    @property
    def peak_tree_mb(self) -> float:
        return self.peak_tree_kb / 1024


def maxrss_mb() -> tuple[float, float]:
    """ru_maxrss of this process and of its reaped children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then `t[0]` is the elapsed wall time in seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the table."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
