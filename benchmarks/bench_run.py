"""Time the default ``border-readiness run`` end to end and say where the CPU time goes.

Run from the project root after installing the package: ``python benchmarks/bench_run.py
[--repeat 2] [--config FILE]``. Each repeat starts a fresh process in a fresh temporary folder
(a new SQLite store, as a first-time user has), so import, JIT compilation, store creation and
the process's exit are all counted. The console script next to this interpreter is run (what a
user types), else ``python -m``.

CPU seconds, not wall seconds, are compared (wall times on a shared machine measure the
neighbours too). The run's total is the CPU of the ``border-readiness run`` process and every
process it started (``RUSAGE_CHILDREN`` around it); the stages are the pipeline's own clocks,
logged to MLflow as ``cpu.*`` metrics (experiments/_cpu.py): the analysis steps prepare ->
explain, the 2-D map, and the tracking stages (result files, lineage, pyfunc model, card).
What no clock covers is start-up: imports, reading the config and the data, and exit.

Target (issue 13): the run costs at most 3 times its analysis. The last line reads
``run/analysis cpu ratio: X`` (median over the repeats).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0
ANALYSIS = ("prepare", "score", "cluster", "validate", "explain")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _console_script() -> list[str]:
    # What a user runs (its exit is part of the cost); python -m where it is not installed.
    script = Path(sys.executable).with_name("border-readiness")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "border_readiness.experiments.cli"]


def one_run(config: str | None, tmp: str) -> tuple[float, float, dict[str, float]]:
    """Wall and CPU seconds of one ``run`` in the folder ``tmp``, and its ``cpu.*`` metrics."""
    cmd = [*_console_script(), "run", "--out", tmp]
    if config:
        cmd += ["--config", str(Path(config).resolve())]
    c0, w0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    wall, cpu = time.perf_counter() - w0, _children_cpu() - c0
    if done.returncode != 0:
        sys.exit(f"run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{Path(tmp) / 'mlflow.db'}")
    run = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )[0]
    stages = {
        k.removeprefix("cpu.").removesuffix("_s"): v
        for k, v in run.data.metrics.items()
        if k.startswith("cpu.")
    }
    return wall, cpu, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--config", default=None)
    parser.add_argument(
        "--same-store",
        action="store_true",
        help="one folder for all runs: after the first, the store exists (a returning user's "
        "run); the ratio is then the median of the runs after the first",
    )
    args = parser.parse_args()
    ratios, totals, analyses = [], [], []
    shared = tempfile.TemporaryDirectory(prefix="bench-run-") if args.same_store else None
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-run-") as own:
            wall, cpu, st = one_run(args.config, shared.name if shared else own)
        analysis = sum(st.get(k, 0.0) for k in ANALYSIS)
        covered = analysis + st.get("embedding", 0.0) + st.get("tracking", 0.0)
        store = "existing store" if shared and i else "new store"
        print(f"run {i + 1}: {cpu:.1f} CPU-s ({wall:.1f} s wall), fresh process, {store}")
        print("  analysis: " + ", ".join(f"{k} {st.get(k, 0.0):.2f}" for k in ANALYSIS))
        print(f"    = {analysis:.2f} CPU-s")
        print(f"  2-D map: {st.get('embedding', 0.0):.2f} CPU-s")
        record = {k.removeprefix("record."): v for k, v in st.items() if k.startswith("record.")}
        print(
            f"  tracking: {st.get('tracking', 0.0):.2f} CPU-s ("
            + ", ".join(f"{k} {v:.2f}" for k, v in record.items())
            + ")"
        )
        print(f"  start-up, imports, config and data load, exit: {cpu - covered:.2f} CPU-s")
        if shared and i == 0 and args.repeat > 1:
            continue  # it created the store; the figures are those of the runs after it
        ratios.append(cpu / analysis)
        totals.append(cpu)
        analyses.append(analysis)
    print(f"target: run/analysis <= {TARGET:g}")
    print(f"run cpu s: {statistics.median(totals):.1f}")
    print(f"analysis cpu s: {statistics.median(analyses):.1f}")
    print(f"run/analysis cpu ratio: {statistics.median(ratios):.2f}")
    if shared:
        shared.cleanup()


if __name__ == "__main__":
    main()
