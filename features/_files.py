"""Writing files so that a reader never sees half of one: write beside, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "stage_bytes"]


def stage_bytes(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to a hidden temporary file beside ``path`` and return its path.

    ``os.replace(staged, path)`` then puts it in place in one step (same folder, same file
    system). The folder is created if needed.

    Parameters
    ----------
    path : Path
        The final file.
    payload : bytes

    Returns
    -------
    Path
        The staged file (mode 0644, like any other data file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; data files are meant to be shared
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically (stage beside it, then rename).

    Parameters
    ----------
    path : Path
    payload : bytes

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a" / "b.txt"
    >>> atomic_write_bytes(target, b"x")
    >>> target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    (b'x', ['b.txt'])
    """
    staged = stage_bytes(path, payload)
    try:
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
