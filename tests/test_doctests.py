"""The docstring examples of every module of the installed package.

They run against ``border_readiness`` as installed, module by module, rather than through
pytest's ``--doctest-modules`` walk of the folders, which would import each file a second time
as a top-level ``features``/``clustering``/``experiments`` module.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import border_readiness


def _modules() -> list[str]:
    names = ["border_readiness"]
    for info in pkgutil.walk_packages(border_readiness.__path__, "border_readiness."):
        names.append(info.name)
    for sub in ("features", "clustering", "experiments"):
        package = importlib.import_module(f"border_readiness.{sub}")
        names += [i.name for i in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
        names.append(package.__name__)
    return sorted(set(names))


MODULES = _modules()


def test_every_subpackage_is_walked():
    assert {"border_readiness.features.composite", "border_readiness.experiments.cli"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, out.getvalue()
