"""Every example of the README that is meant to run, runs.

Blocks marked ``bash``, ``toml`` and ``python`` are examples; ``text`` blocks are synopses
and sketches, unmarked blocks are printed output. The blocks run in README order in one
working directory (so the pyfunc example finds the model the ``run`` example registered), with
small replicate counts: ``border-readiness`` is wrapped so that commands without ``--config``
get a small config, and the clustering commands a small bootstrap. Lines that cannot run inside
the test suite are skipped, each for the reason in ``NOT_RUN``.

Bash still runs every ``bash`` block as written (its loops, variables and ``&&``), but the
``border-readiness`` it calls is a shell function that hands its arguments to this test
process, which runs ``cli.main(argv)`` and sends back the exit code: one import of the package
and one numba compilation of UMAP for all of the README's runs instead of one per command
(that was most of this test's minutes). The ``python`` blocks are executed in this process
too, in the same working directory. The console script itself is exercised by
``test_cli_data.py::test_console_script_prints_no_traceback``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

NOT_RUN = {
    "python -m pip install": "the test environment is installed already",
    "python -m pytest": "the test suite itself",
    "ruff ": "lint, run by developers (not a test dependency)",
    "python benchmarks/": "timing scripts, minutes each (see the README's figures)",
    "mlflow ui": "a server that runs until stopped",
    "mlflow models serve": "a server that runs until stopped (tests/test_serving.py serves the "
    "model in process)",
    "curl ": "needs the server above; tests/test_serving.py posts the README's request bodies",
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
# clustering commands a small bootstrap. The command runs in the test process: the arguments
# go NUL-separated (closed by a lone \x01) down the request pipe, the exit code comes back as
# one line on the reply pipe.
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
  { printf '%s\0' "$@" "${extra[@]}"; printf '\1\0'; } >&"$BR_REQUEST"
  local code
  read -r code <&"$BR_REPLY"
  return "$code"
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


#: An HTML comment (invisible on GitHub) before a block that starts afresh, in an empty folder:
#: the README says the block runs on its own (a walkthrough from a first version).
NEW_FOLDER = "<!-- readme-test: new folder -->"


def _sessions() -> list[list[tuple[int, str, str]]]:
    """The blocks in README order, split where a block runs in a fresh folder."""
    text = README.read_text(encoding="utf-8").splitlines()
    sessions: list[list[tuple[int, str, str]]] = [[]]
    for block in _blocks():
        line = block[0]
        before = [t for t in text[: line - 1] if t.strip()]
        if before and before[-1].strip() == NEW_FOLDER and sessions[-1]:
            sessions.append([])
        sessions[-1].append(block)
    return sessions


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


def _run_bash(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run ``script`` with bash, serving its ``border-readiness`` calls with ``cli.main``.

    Returns bash's exit code and its stderr.
    """
    from border_readiness.experiments.cli import main

    request_r, request_w = os.pipe()
    reply_r, reply_w = os.pipe()
    env = {**env, "BR_REQUEST": str(request_w), "BR_REPLY": str(reply_r)}
    proc = subprocess.Popen(
        ["bash", "-c", WRAPPER + script],
        cwd=cwd,
        env=env,
        pass_fds=(request_w, reply_r),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Only bash keeps these ends open, so the request pipe reaches EOF when bash exits.
    os.close(request_w)
    os.close(reply_r)
    with os.fdopen(request_r, "rb") as requests, os.fdopen(reply_w, "w") as replies:
        args: list[str] = []
        buffer = b""
        while chunk := requests.read1(65536):
            buffer += chunk
            *fields, buffer = buffer.split(b"\0")
            for field in fields:
                if field != b"\x01":
                    args.append(field.decode())
                    continue
                code = main(args)
                args = []
                replies.write(f"{code}\n")
                replies.flush()
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr


def test_the_sessions_cover_every_block_once():
    blocks = [b for session in _sessions() for b in session]
    assert blocks == _blocks()
    assert len(_sessions()) >= 2  # the retrain walkthrough starts in its own folder


@pytest.mark.slow
@pytest.mark.parametrize("session", range(len(_sessions())))
def test_every_runnable_readme_example_runs(session, tmp_path, monkeypatch):
    import mlflow

    from border_readiness.experiments.cli import main

    small = tmp_path / "small.toml"
    small.write_text(SMALL, encoding="utf-8")
    env = {**os.environ, "SMALL_CONFIG": str(small), "MPLBACKEND": "Agg"}
    # The commands and the python blocks run in this process, in the README's folder.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    tracking_uri = mlflow.get_tracking_uri()
    ran = {"bash": 0, "toml": 0, "python": 0}
    try:
        for line, language, text in _sessions()[session]:
            where = f"README.md line {line}"
            if language == "bash":
                script = "\n".join(_runnable(c) for c in text.splitlines() if _runnable(c))
                if not script:
                    continue
                code, stderr = _run_bash(script, tmp_path, env)
                assert code == 0, f"{where}:\n{script}\n{stderr[-3000:]}"
            elif language == "toml":
                config = tmp_path / f"readme_{line}.toml"
                config.write_text(text + "\n", encoding="utf-8")
                out = str(tmp_path / f"score_{line}")
                command = ["score", "--config", str(config), "--out", out, "--quiet"]
                assert main(command) == 0, f"{where}:\n{text}"
            elif language == "python":
                exec(compile(text, where, "exec"), {"__name__": "__main__"})
            else:
                continue
            ran[language] += 1
    finally:
        # the pyfunc example points MLflow at ./mlflow.db; later tests set their own URI
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
    assert sum(ran.values()) > 0, ran
