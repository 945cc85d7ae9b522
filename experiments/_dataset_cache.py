"""The bundled dataset, parsed once per machine: a Parquet copy of the validated table.

Reading and validating the bundled long CSV (170,405 rows) costs about 1.1 CPU-s in every
command that loads it; the validated table read back from Parquet costs about 0.2. The copy
lives in the package's cache folder (:func:`~border_readiness.experiments._cache.cache_dir`),
under a name that is the SHA-256 of everything the validated table depends on: every file of
the ``features`` package (the dataset itself, its reader and validator, the region registry
and catalogue data) and the versions of pandas, numpy and pyarrow. Any change to one of them
is a new name, so a copy is never used for other data or other code; it is written once,
atomically, and a copy that cannot be read is made again. Where the cache folder cannot be
written, the CSV is read as before. A user's own ``--data`` file is always read and validated
afresh.
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from border_readiness.experiments._cache import cache_dir

__all__ = ["bundled_dataset", "dataset_key"]


def dataset_key() -> str:
    """SHA-256 of the bundled dataset, the code that validates it and the parsing libraries.

    Returns
    -------
    str
        64 hex digits; it changes with any file of the ``features`` package (data and code)
        and with the installed pandas, numpy or pyarrow.

    Examples
    --------
    >>> len(dataset_key())
    64
    """
    from border_readiness.features.dataset import bundled_dataset_path

    root = bundled_dataset_path().parent.parent  # the features package
    digest = hashlib.sha256()
    for lib in ("pandas", "numpy", "pyarrow"):
        digest.update(f"{lib}={version(lib)};".encode())
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.lru_cache(maxsize=2)
def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def bundled_dataset() -> pd.DataFrame:
    """The bundled dataset as :func:`~border_readiness.features.dataset.load_dataset` returns it.

    From the cache's Parquet copy when one was made from the same files by the same code
    (:func:`dataset_key`); else read, validated and then copied into the cache.

    Returns
    -------
    pandas.DataFrame
        Equal, value for value and dtype for dtype, to ``load_dataset()``
        (``tests/test_dataset_cache.py``); a fresh copy for every call.

    Raises
    ------
    DataValidationError
        The bundled dataset is missing or breaks the contract (as ``load_dataset()``).

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> bundled_dataset().equals(load_dataset())
    True
    """
    from border_readiness.features.dataset import bundled_dataset_path, load_dataset

    if not bundled_dataset_path().is_file():
        return load_dataset()  # its one-line error says how to build the dataset
    path = cache_dir() / f"dataset-{dataset_key()}.parquet"
    if path.is_file():
        try:
            return _read(path).copy()
        except (OSError, ValueError):
            # A copy cut short (a full disk, a killed writer of an older version): it is only
            # a cache, so it is made again from the CSV below.
            _read.cache_clear()
    data = load_dataset()
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            data.to_parquet(part, index=False)
            os.replace(part, path)  # in one step: readers never see half a file
        finally:
            part.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: every command reads the CSV, as without the cache
    return data
