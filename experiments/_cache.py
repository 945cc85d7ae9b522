"""The user's cache folder of this package: files that only save time and can be remade.

Two things are kept there: the empty MLflow store that new SQLite stores start from
(:mod:`~border_readiness.experiments._store_template`) and the parsed copy of the bundled
dataset (:mod:`~border_readiness.experiments._dataset_cache`). Deleting the folder loses nothing
but the time to remake them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """The folder of the cache: the migrated empty stores and the parsed bundled dataset.

    Returns
    -------
    pathlib.Path
        ``$BORDER_READINESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/border-readiness``, else
        ``~/.cache/border-readiness``; it may not exist yet.

    Examples
    --------
    >>> import os
    >>> os.environ["BORDER_READINESS_CACHE_DIR"] = "/tmp/br-cache"
    >>> str(cache_dir())
    '/tmp/br-cache'
    >>> del os.environ["BORDER_READINESS_CACHE_DIR"]
    """
    own = os.environ.get("BORDER_READINESS_CACHE_DIR")
    if own:
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "border-readiness"
