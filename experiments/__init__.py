"""The command line, experiment configs, the pipeline, MLflow tracking, retraining, cards.

One pipeline for every command; MLflow tracking and the model registry. MLflow is imported
here only, and only when used.

* :mod:`.config` -- experiment TOML configs; :mod:`.seeds` -- one root seed split per step;
* :mod:`.steps`, :mod:`.interpret` -- the analysis steps; :mod:`.pipeline` -- the one
  sequence of them (:func:`analyse`); :mod:`.artifacts` -- the result tables and figures;
* :mod:`.runner`, :mod:`.tracking`, :mod:`.frozen_model`, :mod:`.pyfunc_model` -- one MLflow
  run, the registered model and what it serves;
* :mod:`.retrain` -- comparison with the registered model and the promotion policy;
  :mod:`.card` -- model cards; :mod:`.cli` -- the ``border-readiness`` command.

Names are imported on first use.
"""

from __future__ import annotations

from border_readiness.features._lazy import lazy_exports

_WHERE = {
    "ExperimentConfig": "border_readiness.experiments.config",
    "load_experiment": "border_readiness.experiments.config",
    "STEPS": "border_readiness.experiments.pipeline",
    "Analysis": "border_readiness.experiments.pipeline",
    "analyse": "border_readiness.experiments.pipeline",
    "steps_for": "border_readiness.experiments.pipeline",
    "run_experiment": "border_readiness.experiments.runner",
    "main": "border_readiness.experiments.cli",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
