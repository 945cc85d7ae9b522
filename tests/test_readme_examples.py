"""Every example of the README that is meant to run, runs.

Blocks marked ``bash``, ``toml`` and ``python`` are examples; ``text`` blocks are synopses
and sketches, unmarked blocks are printed output. The blocks run in README order in one
working directory (so the pyfunc example finds the model the ``run`` example registered), with
small replicate counts: ``border-readiness`` is wrapped so that commands without ``--config``
get a small config, and the clustering commands a small bootstrap. Lines that cannot run inside
the test suite are skipped, each for the reason in ``NOT_RUN``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

NOT_RUN = {
    "python -m pip install": "the test environment is installed already",
    "python -m pytest": "the test suite itself",
    "ruff ": "lint, run by developers (not a test dependency)",
    "python benchmarks/": "timing scripts, minutes each (see the README's figures)",
    "mlflow ui": "a server that runs until stopped",
}

SMALL = """
[score]
n_replicates = 300
sobol_n = 16
[cluster]
bootstrap = 20
consensus_reps = 20
[validate]
permutations = 99
"""

# Wraps the console script: a command without --config gets the small config, the single-step
# clustering commands a small bootstrap.
WRAPPER = r"""
set -euo pipefail
border-readiness() {
  local sub="$1"
  local extra=()
  case "$sub" in
    run|retrain|score|cluster|typology|explain)
      if [[ " $* " != *" --config "* ]]; then extra+=(--config "$SMALL_CONFIG"); fi ;;
  esac
  case "$sub" in
    cluster|typology|explain)
      if [[ "$sub" != typology || "${2:-}" == validate ]]; then
        extra+=(--bootstrap 20 --consensus-reps 20)
      fi ;;
  esac
  if [[ "$sub" == typology && "${2:-}" == validate ]]; then extra+=(--permutations 99); fi
  command border-readiness "$@" "${extra[@]}"
}
"""


def _blocks() -> list[tuple[int, str, str]]:
    """(line, language, text) of every fenced block of the README."""
    blocks, lines = [], README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if m:
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            blocks.append((i + 1, m.group(1), "\n".join(lines[i + 1 : j])))
            i = j
        i += 1
    return blocks


def _runnable(command: str) -> str:
    """The command with the parts listed in NOT_RUN removed (``a && b``: each part)."""
    parts = [p.strip() for p in command.split("&&")]
    kept = [p for p in parts if not any(p.startswith(k) for k in NOT_RUN)]
    return " && ".join(kept)


def test_the_readme_has_examples_of_each_kind():
    languages = [lang for _, lang, _ in _blocks()]
    assert {"bash", "toml", "python"} <= set(languages)
    # every fenced block says what it is, or is printed output
    assert set(languages) <= {"bash", "toml", "python", "text", ""}


@pytest.mark.slow
def test_every_runnable_readme_example_runs(tmp_path):
    small = tmp_path / "small.toml"
    small.write_text(SMALL, encoding="utf-8")
    env = {
        **os.environ,
        "SMALL_CONFIG": str(small),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
    }
    ran = {"bash": 0, "toml": 0, "python": 0}

    def check(command: list[str], where: str, shown: str, timeout: int) -> None:
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"{where}:\n{shown}\n{done.stderr[-3000:]}"

    for line, language, text in _blocks():
        where = f"README.md line {line}"
        if language == "bash":
            script = "\n".join(_runnable(c) for c in text.splitlines() if _runnable(c))
            if not script:
                continue
            check(["bash", "-c", WRAPPER + script], where, script, timeout=1800)
        elif language == "toml":
            config = tmp_path / f"readme_{line}.toml"
            config.write_text(text + "\n", encoding="utf-8")
            out = str(tmp_path / f"score_{line}")
            command = ["border-readiness", "score", "--config", str(config), "--out", out]
            check([*command, "--quiet"], where, text, timeout=600)
        elif language == "python":
            check([sys.executable, "-c", text], where, text, timeout=600)
        else:
            continue
        ran[language] += 1
    assert all(ran.values()), ran
