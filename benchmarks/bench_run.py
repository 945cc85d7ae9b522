"""Time the default ``border-readiness run`` end to end and say where the time goes.

Run from the project root after installing the package: ``python benchmarks/bench_run.py
[--repeat 2] [--config FILE]``. Each repeat starts a fresh process in a fresh temporary folder
(a new SQLite store, as a first-time user has), so import, JIT compilation and store creation
are all counted. Prints the wall time, the pipeline's own stage timings (logged to MLflow as
``time.*`` metrics) and the progress timeline, whose gaps show the MLflow steps.

Target (issue 5): under 60 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0


def one_run(config: str | None) -> tuple[float, dict[str, float], list[str]]:
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        cmd = [sys.executable, "-m", "border_readiness.experiments.cli", "run", "--out", tmp]
        if config:
            cmd += ["--config", config]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{Path(tmp) / 'mlflow.db'}")
        client = mlflow.MlflowClient()
        exp = client.get_experiment_by_name("border-readiness")
        (run,) = client.search_runs([exp.experiment_id])
        stages = {
            k.removeprefix("time.").removesuffix("_s"): v
            for k, v in run.data.metrics.items()
            if k.startswith("time.")
        }
        timeline = [line for line in done.stderr.splitlines() if re.match(r"\[\s*[\d.]+s\]", line)]
        return wall, stages, timeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--config", default=None)
    args = parser.parse_args()
    walls = []
    for i in range(args.repeat):
        wall, stages, timeline = one_run(args.config)
        walls.append(wall)
        print(f"run {i + 1}: {wall:.1f} s wall (fresh process, fresh store)")
        order = [
            "prepare",
            "score",
            "cluster",
            "validate",
            "explain",
            "embedding",
            "tracking",
            "total",
        ]
        print("  stages: " + ", ".join(f"{k} {stages[k]:.1f} s" for k in order if k in stages))
        if i == 0:
            print("  timeline (seconds since start of the pipeline):")
            for line in timeline:
                print("    " + line)
    best = min(walls)
    verdict = "meets" if best < TARGET_S else "MISSES"
    print(f"best of {len(walls)}: {best:.1f} s; {verdict} the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
