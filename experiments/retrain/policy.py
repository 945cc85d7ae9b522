"""Should a retrained model take the registry alias: :func:`promotion_decision`.

Promotion only moves the registry alias: every registered version stays in the registry, so
a decision to keep the current model or to promote the new one never loses a model. The
analyses it reads (:func:`~border_readiness.clustering.transitions.cluster_transitions`,
:func:`~border_readiness.clustering.rank_changes.rank_changes`,
:func:`~border_readiness.clustering.drift.indicator_drift`) live in ``clustering``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from border_readiness.clustering._jsonsafe import jsonable as _jsonable
from border_readiness.clustering.drift import typology_agreement_over_time
from border_readiness.clustering.transitions import RATIO_TOL, TRANSITIONS, TransitionReport

__all__ = ["DEFAULT_POLICY", "Decision", "promotion_decision"]

_ALIAS_NOTE = (
    "Promotion only moves the registry alias; every registered version stays in the registry."
)


DEFAULT_POLICY: Mapping[str, Any] = MappingProxyType(
    {
        # A refit on revised figures of the same year may be promoted only when asked for; an
        # earlier year never replaces a later one, whatever the policy.
        "allow_same_year": False,
        # Hennig: a mean bootstrap Jaccard <= 0.5 is a dissolved cluster; every cluster must be
        # above it (the same boundary as border_readiness.clustering.stability.hennig_verdict).
        "min_stability_jaccard": 0.5,
        # When the old model's stability is known: the new model's worst cluster may be at most
        # this much less stable (about one of Hennig's bands).
        "max_stability_drop": 0.25,
        # When agreement figures are given: ARI with an expert typology may drop at most this much
        # from the old year to the new one.
        "max_ari_drop": 0.5,
        # Optional limits on how much changed; None leaves them as information only, because a
        # new year of statistics is expected to move regions.
        "max_moved_share": None,
        "max_beyond_uncertainty_share": None,
        "max_large_drift_share": None,
    }
)
_FRACTION_KEYS = (
    "min_stability_jaccard",
    "max_stability_drop",
    "max_ari_drop",
    "max_moved_share",
    "max_beyond_uncertainty_share",
    "max_large_drift_share",
)
_OPTIONAL_KEYS = ("max_moved_share", "max_beyond_uncertainty_share", "max_large_drift_share")


@dataclass(frozen=True, eq=False)
class Decision:
    """Whether the new model should take the registry alias, and why.

    Attributes
    ----------
    action : {"promote", "keep"}
        "promote": move the alias to the new version; "keep": the alias stays on the current
        version. Both keep every registered version.
    reasons : tuple of str
        For "keep", one sentence per failing check; for "promote", one per passing check.
    checks : dict
        Check name -> passed.
    policy : dict
        The policy used (defaults updated by the caller's overrides).
    new_year, old_year : int or None
    notes : tuple of str
        Context that did not decide (moves, ranks beyond uncertainty, drift), and the reminder
        that promotion only moves the alias.
    """

    action: Literal["promote", "keep"]
    reasons: tuple[str, ...]
    checks: dict[str, bool]
    policy: dict[str, Any]
    new_year: int
    old_year: int | None
    notes: tuple[str, ...]

    @property
    def promote(self) -> bool:
        """True when the alias should move to the new version.

        Returns
        -------
        bool
            ``action == "promote"``.
        """
        return self.action == "promote"

    @property
    def summary(self) -> str:
        """One paragraph: the action, then the reasons.

        Returns
        -------
        str
            "Promote: ..." or "Keep: ...", followed by the reasons' sentences.
        """
        head = (
            "Promote: move the alias to the new version."
            if self.promote
            else "Keep: the alias stays on the current version."
        )
        return " ".join([head, *self.reasons])

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``check, passed``.

        Returns
        -------
        pandas.DataFrame
            Columns ``check`` (str, the check's name) and ``passed`` (bool), in the order the
            checks ran.
        """
        return pd.DataFrame({"check": list(self.checks), "passed": list(self.checks.values())})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: action, years, reasons, checks, policy, notes.

        Returns
        -------
        dict
            Plain lists and scalars, as written to ``retrain/decision.json``.

        Examples
        --------
        >>> d = promotion_decision(new_year=2023, old_year=2022, transitions=None, drift=None,
        ...                        ranks=None, new_stability_min_jaccard=0.8).to_dict()
        >>> d["action"], d["checks"]
        ('promote', {'later_year': True, 'not_dissolved': True})
        """
        return _jsonable(
            {
                "action": self.action,
                "new_year": self.new_year,
                "old_year": self.old_year,
                "reasons": self.reasons,
                "checks": self.checks,
                "policy": self.policy,
                "notes": self.notes,
            }
        )


def _resolve_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    resolved = dict(DEFAULT_POLICY)
    if policy is None:
        return resolved
    if not isinstance(policy, Mapping):
        raise TypeError(f"policy must be a dict, got {type(policy).__name__}")
    unknown = [k for k in policy if k not in DEFAULT_POLICY]
    if unknown:
        raise ValueError(
            f"unknown policy key(s) {', '.join(map(str, unknown))}; expected "
            f"{', '.join(DEFAULT_POLICY)}"
        )
    resolved.update(policy)
    if not isinstance(resolved["allow_same_year"], bool):
        raise ValueError(
            f"policy allow_same_year must be true or false, got {resolved['allow_same_year']!r}"
        )
    for key in _FRACTION_KEYS:
        value = resolved[key]
        if value is None and key in _OPTIONAL_KEYS:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (0.0 <= float(value) <= 1.0)
        ):
            raise ValueError(f"policy {key} must be a number in [0, 1], got {value!r}")
        resolved[key] = float(value)
    return resolved


def _agreement_frame(agreement: Any) -> pd.DataFrame:
    if isinstance(agreement, pd.DataFrame):
        return typology_agreement_over_time(agreement.to_dict("records"))
    return typology_agreement_over_time(agreement)


def promotion_decision(
    *,
    new_year: int,
    old_year: int | None,
    transitions: TransitionReport | None,
    drift: pd.DataFrame | None,
    ranks: pd.DataFrame | None,
    new_stability_min_jaccard: float,
    old_stability_min_jaccard: float | None = None,
    new_agreement: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide whether the retrained model takes the registry alias.

    Promotion only moves the alias to the new registered version; the current version stays
    registered and can take the alias back, so nothing is lost either way.

    Checks of the default policy (:data:`DEFAULT_POLICY`, override any key with ``policy``);
    the decision is "promote" when every check made passes, else "keep":

    * ``later_year``: the new model is fitted on a later year than the current one. An earlier
      year never replaces a later one; the same year only with ``allow_same_year=True`` (a
      refit on revised figures). Passes when no model is registered (``old_year=None``).
    * ``not_dissolved``: the new clustering's least stable cluster has a mean bootstrap
      Jaccard above ``min_stability_jaccard`` (0.5, Hennig's "dissolved" boundary). NaN fails.
    * ``stability_not_worse`` (when ``old_stability_min_jaccard`` is given): the new minimum
      is at most ``max_stability_drop`` (0.25) below the old one.
    * ``agreement:<typology>`` (when ``new_agreement`` has the typology in both years): its
      ARI fell by at most ``max_ari_drop`` (0.5) from the old year to the new one.
    * ``moved_share``, ``beyond_uncertainty_share``, ``large_drift_share``: only when the
      matching ``max_*`` key is set; by default moves, rank changes and drift are reported in
      ``notes`` and do not decide, since a new year of statistics is expected to move regions.

    Parameters
    ----------
    new_year, old_year : int
        Years the new and the current model are fitted on; ``old_year=None`` when no model is
        registered yet.
    transitions : TransitionReport or None
        :func:`cluster_transitions` of the current versus the new partition.
    drift : DataFrame or None
        :func:`indicator_drift` of the two years.
    ranks : DataFrame or None
        :func:`rank_changes` of the two models.
    new_stability_min_jaccard : float
        Minimum over the new model's clusters of the mean bootstrap Jaccard.
    old_stability_min_jaccard : float, optional
        The same for the current model.
    new_agreement : DataFrame or list of dict, optional
        Agreement figures in the :func:`typology_agreement_over_time` layout; rows for
        ``new_year`` and ``old_year`` of a typology allow its check.
    policy : dict, optional
        Overrides of :data:`DEFAULT_POLICY`.

    Returns
    -------
    Decision

    Examples
    --------
    >>> decision = promotion_decision(new_year=2022, old_year=2023, transitions=None,
    ...                               drift=None, ranks=None, new_stability_min_jaccard=0.9)
    >>> decision.action
    'keep'
    >>> decision.reasons[0].split(";")[0]
    'The new model is fitted on 2022, earlier than the current model (2023)'
    """
    policy = _resolve_policy(policy)
    new_year = int(new_year)
    old_year = None if old_year is None else int(old_year)
    stability = float(new_stability_min_jaccard)
    if np.isfinite(stability) and not 0.0 <= stability <= 1.0:
        raise ValueError(f"new_stability_min_jaccard must be in [0, 1], got {stability:g}")

    checks: dict[str, bool] = {}
    passed: list[str] = []
    failed: list[str] = []
    notes: list[str] = []

    def record(name: str, ok: bool, sentence: str) -> None:
        checks[name] = bool(ok)
        (passed if ok else failed).append(sentence)

    def limit_share(name: str, key: str, count: int, total: int, what: str) -> None:
        """Check ``count / total`` against the policy's optional upper limit ``key``.

        Parameters
        ----------
        name : str
            The check's name in ``checks``.
        key : str
            The policy key of the limit (a share, 0–1); None in the policy skips the check.
        count, total : int
            The cases beyond the criterion (regions moved, ranks beyond their uncertainty,
            features drifted) and how many were compared; a total of 0 skips the check.
        what : str
            What is counted, for the sentence (e.g. "regions changed cluster").
        """
        limit = policy[key]
        if limit is None or not total:
            return
        share = count / total
        ok = share <= limit + RATIO_TOL
        record(
            name,
            ok,
            f"{count} of {total} {what} ({share:.0%}), "
            + ("within" if ok else "more than")
            + f" the allowed {limit:.0%}.",
        )

    if old_year is None:
        record(
            "later_year", True, f"No model is registered yet; the {new_year} model is the first."
        )
    elif new_year > old_year:
        record(
            "later_year",
            True,
            f"The new model is fitted on {new_year}, later than the current model ({old_year}).",
        )
    elif new_year == old_year:
        ok = policy["allow_same_year"]
        record(
            "later_year",
            ok,
            f"The new model is fitted on {new_year}, the same year as the "
            f"current model ({old_year}); "
            + (
                "the policy allows a same-year refit."
                if ok
                else "a same-year refit is not promoted unless the policy allows it."
            ),
        )
    else:
        record(
            "later_year",
            False,
            f"The new model is fitted on {new_year}, earlier than the "
            f"current model ({old_year}); an earlier year never "
            "replaces a later one.",
        )

    limit = policy["min_stability_jaccard"]
    if not np.isfinite(stability):
        record(
            "not_dissolved",
            False,
            "The new clustering's stability is undetermined (minimum mean Jaccard is NaN).",
        )
    else:
        record(
            "not_dissolved",
            stability > limit,
            f"The new clustering's least stable cluster has mean Jaccard {stability:.2f}, "
            + ("above" if stability > limit else "at or below")
            + f" the dissolved level {limit:.2f}.",
        )

    if old_stability_min_jaccard is not None and np.isfinite(stability):
        old_stability = float(old_stability_min_jaccard)
        if np.isfinite(old_stability):
            drop = old_stability - stability
            ok = drop <= policy["max_stability_drop"] + RATIO_TOL
            record(
                "stability_not_worse",
                ok,
                f"The least stable cluster's mean Jaccard went from {old_stability:.2f} (current "
                f"model) to {stability:.2f} (new model), a change of {-drop:+.2f}; the policy "
                f"allows a drop of at most {policy['max_stability_drop']:.2f}.",
            )

    if new_agreement is not None:
        frame = _agreement_frame(new_agreement)
        for typology, rows in frame.groupby("typology", sort=True):
            by_year = new_by_year = rows.set_index("year")["ari"]
            if "fit" in rows.columns:
                # a same-year refit: the registered and the new fit are told apart by ``fit``
                new_by_year = rows[rows["fit"] == "new"].set_index("year")["ari"]
                by_year = rows[rows["fit"] != "new"].set_index("year")["ari"]
            if new_year not in new_by_year.index or not np.isfinite(
                new_by_year.get(new_year, np.nan)
            ):
                notes.append(f"No agreement figure with typology '{typology}' for {new_year}.")
                continue
            new_ari = float(new_by_year[new_year])
            if (
                old_year is None
                or old_year not in by_year.index
                or not np.isfinite(by_year[old_year])
            ):
                notes.append(
                    f"Agreement with typology '{typology}' in {new_year}: ARI "
                    f"{new_ari:.2f} (no figure for the current model to compare)."
                )
                continue
            old_ari = float(by_year[old_year])
            drop = old_ari - new_ari
            ok = drop <= policy["max_ari_drop"] + RATIO_TOL
            record(
                f"agreement:{typology}",
                ok,
                f"Agreement with typology '{typology}' went from ARI {old_ari:.2f} "
                f"({old_year}) to {new_ari:.2f} ({new_year}), a change of {-drop:+.2f}; the "
                f"policy allows a drop of at most {policy['max_ari_drop']:.2f}.",
            )

    if transitions is not None:
        n_moved = len(transitions.moved_regions)
        counts = transitions.events["transition"].value_counts()
        summary = ", ".join(f"{counts[t]} {t}" for t in TRANSITIONS if t in counts)
        notes.append(
            f"Clusters: {summary}; {n_moved} of {transitions.n_regions} regions moved "
            f"(ARI between the partitions {transitions.ari:.2f})."
        )
        limit_share(
            "moved_share",
            "max_moved_share",
            n_moved,
            transitions.n_regions,
            "regions changed cluster",
        )
    if ranks is not None and "beyond_uncertainty" in ranks.columns:
        beyond = ranks["beyond_uncertainty"].astype("boolean")
        n_known = int(beyond.notna().sum())
        n_beyond = int(beyond.fillna(False).sum())
        notes.append(
            f"{n_beyond} of {n_known} region-level ranks moved beyond their 5–95 % "
            "intervals in both directions."
        )
        limit_share(
            "beyond_uncertainty_share",
            "max_beyond_uncertainty_share",
            n_beyond,
            n_known,
            "region-level ranks moved beyond their uncertainty",
        )
    if drift is not None and "effect" in drift.columns:
        n_measured = int(drift["effect"].notna().sum())
        n_large = int((drift["effect"] == "large").sum())
        notes.append(
            f"{n_large} of {n_measured} features drifted with a large effect "
            "(|rank-biserial r| >= 0.5)."
        )
        limit_share(
            "large_drift_share",
            "max_large_drift_share",
            n_large,
            n_measured,
            "features drifted with a large effect",
        )

    action: Literal["promote", "keep"] = "keep" if failed else "promote"
    notes.append(_ALIAS_NOTE)
    return Decision(
        action=action,
        reasons=tuple(failed if failed else passed),
        checks=checks,
        policy=policy,
        new_year=new_year,
        old_year=old_year,
        notes=tuple(notes),
    )
