"""The MLflow ``pyfunc`` model of border-readiness, logged as "model from code".

MLflow executes this file when the model is loaded. The fitted state (the run's own
ReadinessModel and cluster assignment) is a ``skops.io`` artifact read with an explicit list of
trusted types, so no pickled object is ever deserialised. ``predict`` takes new data in the long
layout (``region_id, year, indicator, value`` …) and returns, per region, the data type
(cluster), the profile type, the level and overall scores and the exact SHAP value of each
indicator.
Optional params: ``{"year": 2022}`` to score a given year (default 0: the latest complete one).
"""

from __future__ import annotations

import mlflow
import pandas as pd


class ReadinessModel(mlflow.pyfunc.PythonModel):
    """Readiness scores, types and SHAP contributions for new long-layout data."""

    def load_context(self, context):
        """Read the fitted state from the model's ``state`` artifact (trusted types only).

        Parameters
        ----------
        context : mlflow.pyfunc.PythonModelContext
            MLflow's context; ``context.artifacts["state"]`` is the local path of the
            ``skops.io`` state file.
        """
        from border_readiness.experiments.frozen_model import load

        self.state = load(context.artifacts["state"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):
        """Score new long-layout data: types, scores and SHAP values per region.

        Parameters
        ----------
        context : mlflow.pyfunc.PythonModelContext
            MLflow's context; not used (the state was read by :meth:`load_context`).
        model_input : pandas.DataFrame
            Long layout: ``region_id, year, indicator, value`` (and the optional columns of
            the bundled table), for any Russian subjects.
        params : dict, optional
            ``{"year": 2022}`` scores that year; 0 or no ``year`` is the latest year complete
            for the regions the model was fitted on.

        Returns
        -------
        pandas.DataFrame
            One row per region that can be scored: ``region_id, year, cluster,
            profile_type``, the level and overall scores (``score__<level>``) and the SHAP
            value of every indicator for its level score (``shap__<level>__<feature>``).

        Raises
        ------
        mlflow.exceptions.MlflowException
            ``INVALID_PARAMETER_VALUE`` (HTTP 400 when served) with a one-line message naming
            the regions and year, when the input cannot be scored for that year.
        """
        from border_readiness.errors import UserInputError
        from border_readiness.experiments._serving import check_years, unscorable
        from border_readiness.experiments.frozen_model import predict_frozen

        year = (params or {}).get("year") or None  # 0 means the latest complete year
        check_years(model_input, year)
        try:
            return predict_frozen(self.state, model_input, year=year)
        except (ValueError, KeyError, UserInputError) as exc:
            # Regions or years the model cannot score: one line for the client (HTTP 400
            # from `mlflow models serve`), not a stack trace.
            raise unscorable(model_input, year, exc) from None


mlflow.models.set_model(ReadinessModel())
