"""A new fit against the registered model: what changed, and whether to promote it.

``registered_fit`` reads the registered version's results from MLflow; ``compare`` sets the
new :class:`~border_readiness.experiments.pipeline.Analysis` against them (type transitions,
rank changes against their intervals, indicator drift, agreement over time) and takes the
promotion decision, before anything of the new run is logged.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from border_readiness.experiments._outputs import with_region_names

__all__ = ["Comparison", "RegisteredFit", "compare", "registered_fit"]


@dataclass(frozen=True)
class RegisteredFit:
    """The results of the registered model version that a new fit is compared with."""

    version: str
    run_id: str
    year: int
    scores: pd.DataFrame
    uncertainty: pd.DataFrame
    clusters: pd.DataFrame
    features: pd.DataFrame
    stability: dict
    agreement: dict


@dataclass(frozen=True)
class Comparison:
    """A new fit compared with the registered one, and the decision taken on it.

    ``files`` are the comparison's tables, logged under ``retrain/`` in the new run.
    """

    old_version: str
    old_year: int
    new_year: int
    transitions: object
    ranks: pd.DataFrame
    drift: pd.DataFrame
    over_time: pd.DataFrame
    decision: object

    @property
    def note(self) -> str:
        """The decision with its reasons, in one line (the run's decision tag).

        Returns
        -------
        str
            ``"<action>: <reason>; <reason> (compared with version N, trained on YEAR)"``.
        """
        d = self.decision
        return (
            f"{d.action}: "
            + "; ".join(d.reasons)
            + f" (compared with version {self.old_version}, trained on {self.old_year})"
        )

    @property
    def files(self) -> dict[str, str]:
        """File name -> content of the comparison's tables.

        Returns
        -------
        dict of str to str
            ``decision.json``, ``transitions.json``, ``rank_changes.csv``,
            ``indicator_drift.csv`` and ``agreement_over_time.csv``, as text.
        """
        dump = lambda obj: json.dumps(obj, ensure_ascii=False, indent=1, default=str)  # noqa: E731
        return {
            "decision.json": dump(self.decision.to_dict()),
            "transitions.json": dump(self.transitions.to_dict()),
            "rank_changes.csv": with_region_names(self.ranks).to_csv(index=False),
            "indicator_drift.csv": with_region_names(self.drift).to_csv(index=False),
            "agreement_over_time.csv": self.over_time.to_csv(index=False),
        }

    @property
    def figures(self) -> dict[str, bytes]:
        """File name -> PNG of the comparison's figures (logged under ``retrain/`` too).

        Returns
        -------
        dict of str to bytes
            ``changed_types_map.png``: the new fit's clusters on the map, the regions that
            changed type (new cluster not the survivor of the old) hatched, ``old → new``.
        """
        from border_readiness.experiments._plots import figure_png
        from border_readiness.experiments._plots_maps import changed_types_map

        moves = self.transitions.region_moves
        before = moves.dropna(subset=["old_cluster"]).set_index("region_id")["old_cluster"]
        after = moves.dropna(subset=["new_cluster"]).set_index("region_id")["new_cluster"]
        title = (
            f"Types that changed on retraining: version {self.old_version} ({self.old_year}) "
            f"→ new fit ({self.new_year})"
        )
        fig = changed_types_map(before, after, title=title, year=self.new_year)
        return {"changed_types_map.png": figure_png(fig)}


def _read_table(path: Path) -> pd.DataFrame:
    # The region names written beside the ids are for readers; the comparison works on ids
    # (models registered before the names were written have none).
    return pd.read_csv(path).drop(columns="region_name", errors="ignore")


def registered_fit(client, version) -> RegisteredFit:
    """Read the results of a registered model version from its run's artifacts.

    Parameters
    ----------
    client : mlflow.MlflowClient
    version : mlflow.entities.model_registry.ModelVersion

    Returns
    -------
    RegisteredFit
        The files are read into memory; the downloaded copy is not kept.
    """
    import mlflow

    run = client.get_run(version.run_id)
    year = int(run.data.tags.get("border_readiness.year", "0") or 0)
    with tempfile.TemporaryDirectory(prefix="br-retrain-") as tmp:
        old = Path(
            mlflow.artifacts.download_artifacts(
                run_id=version.run_id, artifact_path="results", dst_path=tmp
            )
        )
        return RegisteredFit(
            version=str(version.version),
            run_id=version.run_id,
            year=year,
            scores=_read_table(old / "score" / "scores.csv"),
            uncertainty=_read_table(old / "score" / "uncertainty.csv"),
            clusters=_read_table(old / "cluster" / "clusters.csv").set_index("region_id"),
            features=_read_table(old / "cluster" / "features.csv").set_index("region_id"),
            stability=json.loads((old / "cluster" / "stability.json").read_text()),
            agreement={
                p.parent.name: json.loads(p.read_text())
                for p in (old / "validate").glob("*/agreement.json")
            },
        )


def _agreement_rows(old: RegisteredFit, a) -> list[dict]:
    rows = [
        {
            "year": old.year,
            "fit": "registered",
            "typology": name,
            "ari": body["ari"],
            "p_value": body["p_value"],
            "ari_ci_low": body["ari_ci"][0],
            "ari_ci_high": body["ari_ci"][1],
        }
        for name, body in old.agreement.items()
    ]
    for name, v in a.validations.items():
        r = v.report
        rows.append(
            {
                "year": a.prep.year,
                "fit": "new",
                "typology": name,
                "ari": r.ari,
                "p_value": r.p_value,
                "ari_ci_low": r.ari_ci[0],
                "ari_ci_high": r.ari_ci[1],
            }
        )
    return rows


def compare(old: RegisteredFit, a) -> Comparison:
    """Compare a new analysis with the registered fit and decide on promotion.

    Parameters
    ----------
    old : RegisteredFit
    a : Analysis
        A complete analysis (all steps).

    Returns
    -------
    Comparison
    """
    from border_readiness.clustering.drift import indicator_drift, typology_agreement_over_time
    from border_readiness.clustering.rank_changes import rank_changes
    from border_readiness.clustering.transitions import cluster_transitions
    from border_readiness.experiments.retrain.policy import promotion_decision

    transitions = cluster_transitions(old.clusters["cluster"], a.run.labels)
    ranks = rank_changes(old.scores, a.report.scores, old.uncertainty, a.report.uncertainty)
    drift = indicator_drift(old.features, a.run.X)
    over_time = typology_agreement_over_time(_agreement_rows(old, a))
    decision = promotion_decision(
        new_year=a.prep.year,
        old_year=old.year,
        transitions=transitions,
        drift=drift,
        ranks=ranks,
        new_stability_min_jaccard=float(a.run.stability.jaccard_mean.min()),
        old_stability_min_jaccard=float(min(old.stability["jaccard_mean"])),
        new_agreement=over_time,
    )
    return Comparison(
        old.version, old.year, a.prep.year, transitions, ranks, drift, over_time, decision
    )
