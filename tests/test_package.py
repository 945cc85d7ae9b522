"""One import package: ``border_readiness`` with a curated API; no generic top-level names."""

from __future__ import annotations

import subprocess
import sys

import border_readiness


def _python(code: str, tmp_path) -> subprocess.CompletedProcess:
    # From an empty folder, so that the checkout is not on sys.path: what a user's notebook sees.
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


def test_only_border_readiness_is_importable_and_a_local_features_py_does_not_break_it(tmp_path):
    (tmp_path / "features.py").write_text("raise RuntimeError('the user\\'s own file')\n")
    (tmp_path / "clustering.py").write_text("raise RuntimeError('the user\\'s own file')\n")
    done = _python(
        "import importlib.util, border_readiness.features.composite as c\n"
        "import border_readiness.clustering.models, border_readiness.experiments.pipeline\n"
        "print(importlib.util.find_spec('experiments'))\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"  # nothing named experiments is installed


def test_the_public_api_is_curated_and_import_is_light(tmp_path):
    assert sorted(dir(border_readiness)) == sorted(border_readiness.__all__)
    for name in border_readiness.__all__:
        assert getattr(border_readiness, name) is not None
    done = _python(
        "import sys, border_readiness\n"
        "heavy = {'sklearn', 'mlflow', 'shap', 'umap', 'pandas'} & {m.split('.')[0] for m in "
        "sys.modules}\n"
        "print(sorted(heavy))\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unknown_names_raise_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        border_readiness.nope  # noqa: B018
