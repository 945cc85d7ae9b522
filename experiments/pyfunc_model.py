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
        from border_readiness.experiments.frozen_model import load

        self.state = load(context.artifacts["state"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):
        from border_readiness.experiments.frozen_model import predict_frozen

        year = (params or {}).get("year") or None  # 0 means the latest complete year
        return predict_frozen(self.state, model_input, year=year)


mlflow.models.set_model(ReadinessModel())
