"""Run every case of the bad-input catalogue in-process (``tests/reliability/cases/*.toml``).

Each case must end with its expected exit code; a user error (exit 2) must be one line on
stderr starting ``border-readiness: error:``, contain the case's message fragment, print no
traceback, and leave nothing behind: no new file in the working folder, the inputs' folder or
anywhere under the case's temporary folder, and no change to the installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _catalogue import BUILDERS, fill, load_builders, load_cases

from border_readiness.experiments.cli import main

pytestmark = pytest.mark.xdist_group("reliability")

load_builders()
CASES = load_cases()
PACKAGE = Path(__file__).resolve().parents[2]


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _package_files() -> dict[str, tuple[int, int]]:
    # The source folders the package is installed from (editable) and their data files.
    out: dict[str, tuple[int, int]] = {}
    for sub in ("api", "features", "clustering", "experiments"):
        for p in (PACKAGE / sub).rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts:
                out[str(p.relative_to(PACKAGE))] = (p.stat().st_size, p.stat().st_mtime_ns)
    return out


def test_the_catalogue_is_well_formed():
    assert CASES, "no cases found"
    missing = {c.build for c in CASES} - set(BUILDERS)
    assert not missing, f"unknown builders: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case, tmp_path, capsys, monkeypatch):
    (tmp_path / "in").mkdir()
    work = tmp_path / "work"
    work.mkdir()
    values = {"tmp": str(tmp_path), "in": str(tmp_path / "in"), "out": str(tmp_path / "out")}
    values.update(BUILDERS[case.build](tmp_path, **case.params))
    argv = [fill(a, values) for a in case.argv]
    allowed = {fill(w, values) for w in case.writes}
    monkeypatch.chdir(work)
    # A case never reaches a tracking store it did not name.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'work' / 'mlflow.db'}")
    before, package_before = _files(tmp_path), _package_files()
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err
    assert code == case.exit, f"exit {code}, expected {case.exit}; stderr: {err[-500:]}"
    if case.exit == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("border-readiness: error: "), err[-500:]
        assert "Traceback" not in err
        assert case.message.lower() in lines[-1].lower(), lines[-1]
        after = _files(tmp_path)
        new = {p for p in after if p not in before or after[p] != before[p]}
        assert not new, f"a failing command wrote {sorted(new)}"
    else:
        after = _files(tmp_path)
        new = {str(tmp_path / p) for p in after if p not in before}
        stray = {p for p in new if not any(p.startswith(a) for a in allowed)}
        assert not stray, f"wrote outside its outputs: {sorted(stray)}"
    assert _package_files() == package_before, "the command wrote into the package"
    assert os.getcwd() == str(work)
