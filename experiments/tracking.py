"""MLflow tracking and registry: where runs go, what is logged, how versions are promoted.

Default store: a SQLite file ``mlflow.db`` and an artifact folder ``mlartifacts`` in the
working directory, whatever ``--out`` says; any tracking URI works (``http://127.0.0.1:5000``
for a running ``mlflow server``). Models are registered in the Model Registry and promoted by
moving an alias; versions are never overwritten or deleted.
"""

from __future__ import annotations

import math
from pathlib import Path

from border_readiness.errors import UserInputError
from border_readiness.experiments._runs import report_stale, store_lock
from border_readiness.experiments._store_template import seed_new_sqlite_store

__all__ = [
    "StoreNotFound",
    "connect",
    "default_uri",
    "log_metrics_safe",
    "open_store",
    "registered_version",
    "set_alias",
]


# The name lacks the "Error" suffix (N818) but is public: tests and users import and catch it.
class StoreNotFound(UserInputError, LookupError):  # noqa: N818
    """The default local store does not exist (nothing has been run in that folder)."""


def default_uri() -> str:
    """The tracking URI used without ``--tracking-uri``.

    ``sqlite:///<working directory>/mlflow.db``, with artifacts in ``./mlartifacts``.

    ``$MLFLOW_TRACKING_URI`` is not consulted: MLflow sets it itself once a URI is chosen, so
    a second command in the same process would silently follow the first one's store.

    Returns
    -------
    str
        An absolute SQLite URI in the current working directory.

    Examples
    --------
    >>> default_uri().startswith("sqlite:///") and default_uri().endswith("mlflow.db")
    True
    """
    return f"sqlite:///{Path.cwd() / 'mlflow.db'}"


def open_store(tracking_uri: str | None):
    """Point MLflow at an existing store without creating anything.

    ``retrain`` and ``card`` read what ``run`` wrote: with the default local store, a missing
    ``./mlflow.db`` is an error rather than a new, empty database.

    Parameters
    ----------
    tracking_uri : str or None
        None: :func:`default_uri`.

    Returns
    -------
    client : mlflow.MlflowClient
        A client of the store (tracking and registry).
    uri : str
        The tracking URI in use.

    Raises
    ------
    StoreNotFound
        Without ``tracking_uri``, when ``./mlflow.db`` does not exist.
    """
    import mlflow

    uri = tracking_uri or default_uri()
    if tracking_uri is None:
        path = Path.cwd() / "mlflow.db"
        if not path.is_file():
            raise StoreNotFound(
                f"no MLflow store at {path}; run `border-readiness run` in this folder first, "
                "or pass --tracking-uri"
            )
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with store_lock(uri):  # a store being created by another command is waited for
        seed_new_sqlite_store(uri)
        client = mlflow.MlflowClient()
    report_stale(client)
    return client, uri


def connect(tracking_uri: str | None, experiment: str):
    """Point MLflow at the store and experiment, creating them if needed.

    Parameters
    ----------
    tracking_uri : str or None
        None: :func:`default_uri`; the default local store keeps its artifacts in
        ``./mlartifacts``.
    experiment : str
        The experiment's name (the model's name).

    Returns
    -------
    client : mlflow.MlflowClient
        A client of the store (tracking and registry).
    experiment_id : str
        The experiment's id, now MLflow's active experiment.
    uri : str
        The tracking URI in use.
    """
    import mlflow

    uri = tracking_uri or default_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    # Creating and migrating a new store, and creating the experiment, race between
    # concurrent first runs (MLflow's own init lock does not cover them): one at a time.
    with store_lock(uri):
        seed_new_sqlite_store(uri)  # a copy of a migrated empty store: no migrations to run
        client = mlflow.MlflowClient()
        client.search_registered_models(max_results=1)  # the registry's tables too
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            location = (Path.cwd() / "mlartifacts").as_uri() if tracking_uri is None else None
            exp_id = client.create_experiment(experiment, artifact_location=location)
        else:
            exp_id = exp.experiment_id
    report_stale(client)
    mlflow.set_experiment(experiment_id=exp_id)
    return client, exp_id, uri


def log_metrics_safe(metrics: dict[str, float]) -> dict[str, float]:
    """Log the finite metrics (MLflow rejects NaN in some stores); return what was logged.

    Parameters
    ----------
    metrics : dict of str to float
        Metric name -> value; None and NaN values are skipped.

    Returns
    -------
    dict of str to float
        The metrics logged to the active run, as floats.
    """
    import mlflow

    clean = {
        k: float(v)
        for k, v in metrics.items()
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    mlflow.log_metrics(clean)
    return clean


def registered_version(client, name: str, alias: str):
    """The model version holding ``alias``, or None.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client of the store (:func:`open_store` or :func:`connect`).
    name : str
        The registered model's name.
    alias : str
        The alias, e.g. ``champion``.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion or None
        None when the model or the alias does not exist.
    """
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def set_alias(client, name: str, alias: str, version: int | str) -> None:
    """Move ``alias`` of the registered model ``name`` to ``version`` (promotion).

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client of the store.
    name : str
        The registered model's name.
    alias : str
        The alias to move, e.g. ``champion``.
    version : int or str
        The model version that takes the alias; no version is changed or deleted.
    """
    client.set_registered_model_alias(name, alias, str(version))
