"""MLflow tracking and registry: where runs go, what is logged, how versions are promoted.

Default store: a SQLite file ``mlflow.db`` and an artifact folder ``mlartifacts`` in the output
folder (the working directory by default); any tracking URI works (``http://127.0.0.1:5000`` for
a running ``mlflow server``). Models are registered in the Model Registry and promoted by moving
an alias; versions are never overwritten or deleted.
"""

from __future__ import annotations

import math
from pathlib import Path

__all__ = [
    "StoreNotFound",
    "connect",
    "log_metrics_safe",
    "open_store",
    "registered_version",
    "set_alias",
]


class StoreNotFound(LookupError):
    """The default local store does not exist (nothing has been run in that folder)."""


def open_store(tracking_uri: str | None, out: Path):
    """Point MLflow at an existing store without creating anything; return (client, uri).

    ``retrain`` and ``card`` read what ``run`` wrote: with the default store, a missing
    ``OUT/mlflow.db`` is an error rather than a new, empty database.
    """
    import mlflow

    path = Path(out).resolve() / "mlflow.db"
    if tracking_uri is None and not path.is_file():
        raise StoreNotFound(
            f"no MLflow store at {path}; run `border-readiness run --out {out}` first, or pass "
            "--tracking-uri"
        )
    uri = tracking_uri or f"sqlite:///{path}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(), uri


def connect(tracking_uri: str | None, out: Path, experiment: str):
    """Point MLflow at the store and experiment; return the MlflowClient and experiment id."""
    import mlflow

    out = Path(out).resolve()
    uri = tracking_uri or f"sqlite:///{out / 'mlflow.db'}"
    if tracking_uri is None:
        out.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        location = (out / "mlartifacts").as_uri() if tracking_uri is None else None
        exp_id = client.create_experiment(experiment, artifact_location=location)
    else:
        exp_id = exp.experiment_id
    mlflow.set_experiment(experiment_id=exp_id)
    return client, exp_id, uri


def log_metrics_safe(metrics: dict[str, float]) -> dict[str, float]:
    """Log the finite metrics (MLflow rejects NaN in some stores); return what was logged."""
    import mlflow

    clean = {
        k: float(v)
        for k, v in metrics.items()
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    mlflow.log_metrics(clean)
    return clean


def registered_version(client, name: str, alias: str):
    """The model version holding ``alias``, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def set_alias(client, name: str, alias: str, version: int | str) -> None:
    client.set_registered_model_alias(name, alias, str(version))
