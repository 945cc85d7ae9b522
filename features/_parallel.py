"""Seeded batches of replicates, run in order through joblib: written once for the package.

Every resampling in the package (bootstrap and consensus clustering, permutation tests, Monte
Carlo over composite-index choices) follows one recipe that makes its results bit-identical
for any number of workers and any batch size:

1. each replicate, or each fixed block of replicates, draws from its own child of one
   ``numpy.random.SeedSequence`` (:func:`child`, :func:`seed_blocks`), so its random numbers
   depend on (random_state, replicate) only, never on the batch it lands in;
2. replicates are cut into batches (:func:`batch_slices`), one joblib task each;
3. tasks run through :func:`run_ordered`, which returns results in task order whatever the
   backend, and reports progress through a callback (nothing here prints).

:func:`single_threaded_blas` keeps BLAS on one thread while many small products run, as
scikit-learn's KMeans does: parallelism comes from the joblib workers instead.

The module imports joblib and threadpoolctl lazily and does no I/O.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "batch_slices",
    "child",
    "items_within",
    "run_ordered",
    "seed_blocks",
    "seed_int",
    "single_threaded_blas",
]


def batch_slices(n_items: int, batch_size: int) -> list[slice]:
    """Consecutive slices of at most ``batch_size`` covering ``range(n_items)``.

    Examples
    --------
    >>> batch_slices(5, 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    return [slice(s, min(s + batch_size, n_items)) for s in range(0, n_items, batch_size)]


def child(seq: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """Child ``i`` of ``seq`` as ``seq.spawn`` would make it, without mutating ``seq``.

    Spawning counts children on the parent; deriving by key keeps a replicate's streams a pure
    function of (random_state, replicate, purpose) even when a SeedSequence is reused in-process.

    Examples
    --------
    >>> root = np.random.SeedSequence(0)
    >>> child(root, 3).spawn_key == root.spawn(4)[3].spawn_key
    True
    """
    return np.random.SeedSequence(
        seq.entropy, spawn_key=(*seq.spawn_key, i), pool_size=seq.pool_size
    )


def items_within(budget: int, bytes_per_item: int) -> int:
    """How many items of ``bytes_per_item`` bytes fit ``budget`` bytes, never fewer than one.

    Every chunked loop sizes its chunks with this: a chunk of one item is the least that can
    be computed, whatever the budget.

    Examples
    --------
    >>> items_within(256 * 2**20, 8 * 100_000), items_within(10, 8_000)
    (335, 1)
    """
    return int(max(1, budget // max(1, bytes_per_item)))


def seed_int(seq: np.random.SeedSequence) -> int:
    """An integer seed drawn from ``seq``, for estimators that take ``random_state=int``."""
    # uint32: the range scikit-learn accepts for random_state.
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def seed_blocks(
    seed: np.random.SeedSequence, n_items: int, block_size: int
) -> list[np.random.SeedSequence]:
    """One child of ``seed`` per block of ``block_size`` replicates (at least one).

    Replicate r then draws from block ``r // block_size``, so its numbers never depend on how
    the replicates are batched.

    Examples
    --------
    >>> len(seed_blocks(np.random.SeedSequence(0), 2500, 1000))
    3
    """
    return seed.spawn(max(1, -(-n_items // block_size)))


def run_ordered(
    func: Callable[..., Any],
    arguments: Iterable[Sequence[Any]],
    *,
    n_jobs: int | None = None,
    sizes: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    collect: Callable[[int, Any], None] | None = None,
) -> list:
    """``[func(*args) for args in arguments]``, through joblib, in task order.

    A single task, or ``n_jobs=1``, runs in the calling process: a worker would return the same
    result and only cost its start. ``n_jobs=None`` defers to the caller's
    ``joblib.parallel_config`` (backend and workers).

    Parameters
    ----------
    func : callable
        The task; picklable (a module-level function or a bound method of a picklable object)
        for process-based backends.
    arguments : iterable of sequences
        Positional arguments of each task.
    n_jobs : int, optional
        joblib workers.
    sizes : sequence of int, optional
        Replicates per task, for ``progress`` (default 1 each).
    progress : callable, optional
        Called as ``progress(done, total)`` after each task, in task order; this is how a
        caller shows a progress bar.
    collect : callable, optional
        Called as ``collect(i, result)`` with each task's index and result, in task order, and
        the result is then dropped: a caller that adds results up or writes them into one
        preallocated array holds one result at a time (plus joblib's few in flight) instead
        of all of them.

    Returns
    -------
    list
        The tasks' results, in the order of ``arguments``; empty with ``collect``.

    Examples
    --------
    >>> run_ordered(pow, [(2, 3), (3, 2)], n_jobs=2)
    [8, 9]
    """
    arguments = [tuple(args) for args in arguments]
    sizes = [1] * len(arguments) if sizes is None else list(sizes)
    if len(sizes) != len(arguments):
        raise ValueError(f"sizes has {len(sizes)} entries for {len(arguments)} tasks")
    total, done, out = sum(sizes), 0, []
    if len(arguments) <= 1 or n_jobs == 1:
        results: Iterable = (func(*args) for args in arguments)
    else:
        from joblib import Parallel, delayed

        tasks = (delayed(func)(*args) for args in arguments)
        if progress is None and collect is None:
            return Parallel(n_jobs=n_jobs)(tasks)
        results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    for i, (size, result) in enumerate(zip(sizes, results, strict=True)):
        if collect is None:
            out.append(result)
        else:
            collect(i, result)
            # Unbound before the next serial task runs, so two results never coexist here.
            del result
        done += size
        if progress is not None:
            progress(done, total)
    return out


@functools.cache
def _blas_controller() -> Any:
    try:  # scikit-learn's own dependency, imported lazily: scanning the loaded libraries costs
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        return None
    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded(user_api: str | None = None) -> Iterator[None]:
    """Run BLAS and OpenMP on one thread (scikit-learn's KMeans parallelises with OpenMP).

    On a dozen regions a KMeans fit is microseconds of work; its OpenMP threads spend the
    rest spin-waiting (measured: 38 leave-one-out refits with 10 starts each took 6 s, almost
    all of it in the threads' wait). The results do not depend on the number of threads.

    Parameters
    ----------
    user_api : {"blas", "openmp"}, optional
        Limit only this kind of thread pool; None limits both.

    Yields
    ------
    None
    """
    controller = _blas_controller()
    if controller is None:  # pragma: no cover
        yield
        return
    with controller.limit(limits=1, user_api=user_api):
        yield


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run BLAS on one thread, as scikit-learn's KMeans does in its Lloyd loop.

    Many small products gain nothing from BLAS threads on an idle machine and, measured on 2
    cores with one busy, made B = 1000 bootstrap replicates 4-5 times slower. Parallelism comes
    from joblib workers over batches instead.

    Yields
    ------
    None
    """
    with single_threaded("blas"):
        yield
