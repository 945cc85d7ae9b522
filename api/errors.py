"""The package's errors: one base class, and one subclass for everything a user can cause.

Every error a user can cause and fix (a file, a config, a command-line parameter, a region
name, a typology) raises a subclass of :class:`UserInputError`; the command line catches that
class alone, prints its message as one line and exits with code 2. Anything else is a bug: it
keeps its traceback and exit code 1.

Examples
--------
>>> from border_readiness.errors import UserInputError
>>> from border_readiness.features.regions import resolve_region
>>> try:
...     resolve_region("Atlantis")
... except UserInputError as exc:
...     print(type(exc).__name__)
UnknownRegionError
"""

from __future__ import annotations

__all__ = ["BorderReadinessError", "UsageError", "UserInputError"]


class BorderReadinessError(Exception):
    """Base class of every error border-readiness raises on purpose."""


class UserInputError(BorderReadinessError, ValueError):
    """Input the user can fix: the message names the file, row/column or parameter.

    It is also a :class:`ValueError`, so code written against the earlier, plain
    ``ValueError`` subclasses keeps working.
    """


class UsageError(UserInputError):
    """A command-line option or argument that cannot be used as given."""
