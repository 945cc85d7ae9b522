"""The ``border-readiness`` console script: the command line, then a cheap exit.

It runs :func:`border_readiness.experiments.cli.main`, then ends without walking the
libraries' objects.

At interpreter shutdown the garbage collector walks every object the imported libraries made
(scikit-learn, MLflow with SQLAlchemy, SHAP with numba, skops): 1.5-2 CPU seconds of a default
``run`` (issue 13), spent after the last output is written. :func:`gc.freeze` moves them out of
the collector's reach first; atexit handlers, stream flushing and module cleanup still run. Only
the console script does it: :func:`main` called in a process that goes on (a test, a notebook)
leaves the collector alone.
"""

from __future__ import annotations

import gc

__all__ = ["run"]


def run() -> int:
    """Run the command line, then let the process end without a final collection.

    Returns
    -------
    int
        :func:`border_readiness.experiments.cli.main`'s exit code.
    """
    from border_readiness.experiments.cli import main

    code = main()
    gc.freeze()  # the process ends now: nothing the collector would free matters any more
    return code
