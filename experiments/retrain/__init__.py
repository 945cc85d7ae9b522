"""Retraining on a new year: compare the new fit with the registered model, decide on
promotion (the runner then logs and registers it like any run)."""

from border_readiness.experiments.retrain.compare import (
    Comparison,
    RegisteredFit,
    compare,
    registered_fit,
)

__all__ = ["Comparison", "RegisteredFit", "compare", "registered_fit"]
