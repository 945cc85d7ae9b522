"""The notes of the agreement report: caveats to show next to the figures."""

from __future__ import annotations

from border_readiness.clustering._small_n import small_n_note
from border_readiness.clustering.agreement._selection import MAX_RESOLUTIONS
from border_readiness.clustering.agreement.alignment import _SINGLE, _quote


def _notes(n, excluded, assignments, contingency, matching, n_permutations) -> list[str]:
    notes = []
    if note := small_n_note(n, "agreement"):
        notes.append(note)
    n_clusters = contingency.shape[1]
    if n_clusters > n / 3:
        notes.append(
            f"{n_clusters} clusters for {n} regions (more than n/3): clusters are tiny and "
            "agreement is easy to reach or to miss by one region"
        )
    if excluded:
        notes.append(f"{len(excluded)} region(s) left out of the evaluation: see `excluded`")
    multi = assignments[assignments["resolution"] != _SINGLE]
    if len(multi):
        listed = ", ".join(
            f"{r.region_id} -> '{r.expert_type}' ({r.resolution})" for r in multi.itertuples()
        )
        notes.append(f"{len(multi)} region(s) with several expert types resolved: {listed}")
    loose_clusters = [c for c in contingency.columns if c not in matching]
    if loose_clusters:
        notes.append("cluster(s) matched to no expert type: " + ", ".join(map(str, loose_clusters)))
    loose_types = [t for t in contingency.index if t not in matching.values()]
    if loose_types:
        notes.append("expert type(s) matched to no cluster: " + _quote(loose_types))
    if n_permutations:
        notes.append(
            f"p-value from {n_permutations} random relabellings with cluster sizes fixed; "
            f"the smallest attainable is {1 / (n_permutations + 1):.2g}"
        )
    return notes


def _selection_notes(resolutions, n_resolutions, selection_aware, n_permutations, n_bootstrap):
    if not selection_aware:
        return []
    n_multi = resolutions.shape[1] - 3
    chosen = resolutions[resolutions["chosen"]].iloc[0]
    lo, hi = resolutions["ari"].min(), resolutions["ari"].max()
    over = f"the {n_resolutions} admissible resolutions"
    if len(resolutions) < n_resolutions:
        over = f"{len(resolutions)} of the {n_resolutions} admissible resolutions (capped at "
        over += f"{MAX_RESOLUTIONS}, the chosen one included)"
    notes = [
        f"ARI over {over} of the {n_multi} region(s) with several expert types: "
        f"{lo:.3f} to {hi:.3f}; the rule chose resolution {int(chosen['resolution'])} "
        f"(ARI {chosen['ari']:.3f}), using the clusters"
    ]
    replicates = [
        what for what, m in (("p-value", n_permutations), ("bootstrap interval", n_bootstrap)) if m
    ]
    if replicates:
        notes.append(
            " and ".join(replicates)
            + (" are" if len(replicates) > 1 else " is")
            + " selection-aware: every replicate re-resolves the "
            "multi-type regions with its own cluster labels by the same rule"
        )
    return notes
