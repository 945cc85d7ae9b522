"""Public names of a package imported on first use (PEP 562), so that importing stays light.

``border_readiness.features`` does not load scikit-learn until a name that needs it is asked
for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: dict[str, str]) -> tuple[Callable, Callable]:
    """The module-level ``__getattr__`` and ``__dir__`` of a package with lazy public names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    where : dict
        Public name -> the module that defines it.

    Returns
    -------
    getattr : callable
        Imports the defining module on first access and caches the name in the package.
    dir : callable
        The public names, sorted.

    Examples
    --------
    >>> where = {"load_dataset": "border_readiness.features.dataset"}
    >>> get, names = lazy_exports("border_readiness", where)
    >>> get("load_dataset").__name__, names()
    ('load_dataset', ['load_dataset'])
    """

    # PEP 562 requires these dunder names for module-level attribute access and dir().
    def __getattr__(name: str):  # noqa: N807
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name]), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(where)

    return __getattr__, __dir__
