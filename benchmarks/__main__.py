"""`python -m benchmarks [--quick] [--only NAME[,NAME]] [--record]`: run the benchmarks.

Each benchmark runs in its own process (so memory figures are its own and one failure does not
stop the others), prints its progress on stderr, and the table of figures is printed at the
end, with the machine and each run's parameters. Results go to benchmarks/out/latest.json;
`--record` also rewrites the figures section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks.report import (
    OUT_DIR,
    BenchResult,
    machine,
    markdown,
    params_text,
    table,
    write_json,
)

# name -> (module, time limit in seconds for a full run, for a quick run)
BENCHMARKS: dict[str, tuple[str, int, int]] = {
    "polling": ("benchmarks.bench_polling", 150, 45),
    "extraction": ("benchmarks.bench_extraction", 200, 45),
    "clustering": ("benchmarks.bench_clustering", 200, 45),
    "delivery": ("benchmarks.bench_delivery", 220, 45),
    "responsiveness": ("benchmarks.bench_responsiveness", 180, 45),
    "footprint": ("benchmarks.bench_footprint", 260, 60),
}
# The whole run stays within this (make bench < 15 min, make bench-quick < 2 min): a
# benchmark gets at most what is left, keeping a little for each one still to come.
TOTAL_BUDGET = {"full": 14 * 60, "quick": 105}
RESERVE_EACH = {"full": 30, "quick": 8}
ROOT = Path(__file__).resolve().parent.parent
MARK_BEGIN = "<!-- figures:begin -->"
MARK_END = "<!-- figures:end -->"


def _child(name: str, quick: bool, result_file: Path) -> int:
    module = importlib.import_module(BENCHMARKS[name][0])
    start = time.perf_counter()
    try:
        result: BenchResult = module.run(quick)
    except Exception as error:  # a benchmark that fails still reports why
        traceback.print_exc()
        result = BenchResult(
            name, getattr(module, "TITLE", name), error=f"{type(error).__name__}: {error}"
        )
    result.seconds = time.perf_counter() - start
    result_file.write_text(json.dumps(result.to_json(), default=str))
    return 0


def _end_group(process: subprocess.Popen) -> None:
    """Stop whatever the benchmark process left running in its group (it is a group leader)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            process.poll()
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def _run_one(name: str, quick: bool, budget: float) -> BenchResult:
    module_name, full_limit, quick_limit = BENCHMARKS[name]
    limit = max(5, int(min(quick_limit if quick else full_limit, budget)))
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = Path(handle.name)
    command = [
        sys.executable,
        "-m",
        "benchmarks",
        "--child",
        name,
        "--result-file",
        str(result_file),
    ]
    if quick:
        command.append("--quick")
    start = time.perf_counter()
    # Its own process group: on a time-out the benchmark goes with everything it started
    # (local servers, process-pool workers, the forkserver).
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        process.wait(timeout=limit)
        data = json.loads(result_file.read_text() or "{}")
        result = BenchResult.from_json(data) if data else None
        error = "the benchmark process died without a result"
    except subprocess.TimeoutExpired:
        result = None
        error = f"timed out after {limit} s"
    finally:
        _end_group(process)
        result_file.unlink(missing_ok=True)
    if result is None:
        title = getattr(importlib.import_module(module_name), "TITLE", name)
        result = BenchResult(name, title, error=error, seconds=time.perf_counter() - start)
    return result


def _record(results: list[BenchResult], info: dict, command: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{MARK_BEGIN}\n{MARK_END}\n"
    section = "\n".join(
        [
            MARK_BEGIN,
            f"Command: `{command}` — run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            "",
            f"Machine: {info['cores']} cores ({info['cpu']}), {info['ram_mb'] / 1024:.1f} GB RAM, "
            f"Python {info['python']}, load average at start {info['loadavg_at_start']}",
            "",
            markdown(results),
            MARK_END,
        ]
    )
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        tail = rest.split(MARK_END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def _merged_with_previous(results: list[BenchResult], path: Path) -> list[BenchResult]:
    """This run's results with the previous run's for the benchmarks not run now (so
    `--only X --record` updates X's figures and keeps the others)."""
    fresh = {r.name: r for r in results}
    try:
        previous = [BenchResult.from_json(r) for r in json.loads(path.read_text())["results"]]
    except (OSError, ValueError, KeyError, TypeError):
        previous = []
    merged = {r.name: r for r in previous} | fresh
    return [merged[name] for name in BENCHMARKS if name in merged]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, same figures (< 2 min)"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated names: " + ", ".join(BENCHMARKS)
    )
    parser.add_argument(
        "--record", action="store_true", help="write the figures into BENCHMARKS.md"
    )
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.quick, Path(args.result_file))
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})"
        )
    info = machine()
    mode = "quick" if args.quick else "full"
    print(
        f"newsdigest benchmarks ({mode}) on {info['cores']} cores, {info['cpu']}, "
        f"{info['ram_mb'] / 1024:.1f} GB RAM, Python {info['python']}, "
        f"load average {info['loadavg_at_start']}",
        flush=True,
    )
    results = []
    started = time.perf_counter()
    for index, name in enumerate(names):
        print(f"== {name}", file=sys.stderr, flush=True)
        left = TOTAL_BUDGET[mode] - (time.perf_counter() - started)
        budget = left - RESERVE_EACH[mode] * (len(names) - index - 1)
        result = _run_one(name, args.quick, budget)
        results.append(result)
        status = f"FAILED: {result.error}" if result.error else "done"
        print(f"== {name}: {status} in {result.seconds:.0f} s", file=sys.stderr, flush=True)
    print()
    print(table(results))
    print()
    for result in results:
        print(f"{result.title} ({result.seconds:.0f} s): {params_text(result)}")
        for figure in result.figures:
            if figure.note:
                print(f"  - {figure.name}: {figure.note}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.only:
        results = _merged_with_previous(results, OUT_DIR / f"latest-{mode}.json")
    write_json(results, info, OUT_DIR / f"latest-{mode}.json")
    (OUT_DIR / f"latest-{mode}.md").write_text(markdown(results))
    if args.record:
        command = "make bench-quick" if args.quick else "make bench"
        command += " (python -m benchmarks --record)"
        if args.only:
            command += f"; then python -m benchmarks --only {args.only} --record"
        _record(results, info, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
