"""Every public name documents its parameters and what it returns.

Checked with numpydoc's own validator and the checks configured in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

numpydoc_hooks = pytest.importorskip("numpydoc.hooks.validate_docstrings")

PROJECT = Path(__file__).resolve().parents[1]
FOLDERS = ("api", "features", "clustering", "experiments")


def _sources() -> list[str]:
    return sorted(str(p) for folder in FOLDERS for p in (PROJECT / folder).rglob("*.py"))


def test_the_checks_are_the_configured_ones():
    config = numpydoc_hooks.parse_config(str(PROJECT))
    assert {"PR01", "RT01"} <= set(config["checks"])


def test_public_names_have_parameters_and_returns_sections(capsys):
    code = numpydoc_hooks.run_hook(_sources(), config=str(PROJECT))
    report = capsys.readouterr()
    assert code == 0, report.out + report.err


def test_the_validator_can_fail(tmp_path, capsys):
    # The same check on a function that documents nothing must report it.
    bad = tmp_path / "bad.py"
    bad.write_text('def scale(x, factor):\n    """Scale x."""\n    return x * factor\n')
    assert numpydoc_hooks.run_hook([str(bad)], config=str(PROJECT)) != 0
    out = capsys.readouterr().err
    assert "PR01" in out and "RT01" in out
