"""How long ``border-readiness --help`` takes next to a bare Python start (issue 13 item 2).

Run after installing the package: ``python benchmarks/bench_help.py [--repeat 15]``. Runs of
``border-readiness --help`` and of ``python -c pass`` alternate in the same session (so both
see the same machine load) and the medians of their wall times are compared. The console
script next to this interpreter is used when there is one, else ``python -m``.

Target: a ratio of at most 5. The last line reads ``help/bare-python wall ratio: X``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 5.0


def _help_command() -> list[str]:
    script = Path(sys.executable).with_name("border-readiness")
    if script.is_file():
        return [str(script), "--help"]
    return [sys.executable, "-m", "border_readiness.experiments.cli", "--help"]


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    help_cmd, bare_cmd = _help_command(), [sys.executable, "-c", "pass"]
    _wall(help_cmd)  # warm the file cache and the bytecode once; not counted
    helps, bares = [], []
    for _ in range(args.repeat):
        bares.append(_wall(bare_cmd))
        helps.append(_wall(help_cmd))
    h, b = statistics.median(helps), statistics.median(bares)
    print(f"runs: {args.repeat} of each, alternating")
    print(f"median wall, {' '.join(help_cmd[-2:])}: {h * 1000:.0f} ms")
    print(f"median wall, python -c pass: {b * 1000:.0f} ms")
    print(f"target: ratio <= {TARGET:g}")
    print(f"help/bare-python wall ratio: {h / b:.2f}")


if __name__ == "__main__":
    main()
