"""Errors raised by the source readers."""

from __future__ import annotations

from border_readiness.errors import UserInputError

__all__ = ["SourceFormatError"]


class SourceFormatError(UserInputError):
    """A source file whose layout or content is not what its reader expects.

    The message is one line naming the file, the sheet or table, the row/column where relevant,
    and what was expected.
    """
