"""Light commands start light: ``--help``, ``data summary``, ``typology check`` skip sklearn/MLflow.

They load neither scikit-learn nor MLflow (issue 13 item 2).

Each command runs in a fresh interpreter through a small wrapper that calls the console
script's entry point and then writes the top-level names in ``sys.modules`` to a file, so what
the command imported, and nothing a test process had loaded before, is what is checked.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sklearn", "mlflow")

# Calls the entry point as the console script does, then records what was imported.
WRAPPER = """
import json, sys
from border_readiness.experiments.cli import main
report, argv = sys.argv[1], sys.argv[2:]
try:
    code = main(argv)
except SystemExit as exc:  # --help exits through argparse
    code = exc.code
with open(report, "w") as fh:
    json.dump({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}, fh)
"""


def _imported(args: list[str], tmp_path) -> tuple[dict, str]:
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(report), *args],
        cwd=tmp_path,  # an empty folder: no store, no outputs, the checkout not on sys.path
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text()), done.stdout


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--help"], "usage: border-readiness"),
        (["data", "summary"], "RU-OMS"),
        (["typology", "check", "federal_districts"], "federal_districts: OK"),
    ],
)
def test_light_command_imports_neither_sklearn_nor_mlflow(args, expect, tmp_path):
    seen, stdout = _imported(args, tmp_path)
    assert seen["code"] in (0, None)
    assert expect in stdout  # the command did its work, not an early exit
    assert [m for m in HEAVY if m in seen["modules"]] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["modules.json"]  # nothing written


def test_the_probe_sees_what_a_command_imports(tmp_path):
    # The same wrapper reports the data stack for `data summary`: an empty HEAVY list above
    # means the command did not load them, not that the probe misses imports.
    seen, _ = _imported(["data", "summary"], tmp_path)
    assert {"pandas", "numpy"} <= set(seen["modules"])
