"""The card's fields of the checks that say how far the clusters can be trusted.

Whether the data show cluster structure at all, how the consensus was computed (and whether
its best k is the chosen one), and the surrogate's fidelity beside its structureless null.
"""

from __future__ import annotations

__all__ = ["structure_card"]


def structure_card(test) -> dict:
    """The card's "Is there cluster structure?" block from a structure test.

    Parameters
    ----------
    test : StructureTest or None
        :func:`~border_readiness.clustering.structure.structure_test`'s result; None when the
        run did not test (the card then says so and does not call the clusters types).

    Returns
    -------
    dict
        ``verdict``, ``gap_k``, ``B``, ``statement`` (sentences in words, first the verdict)
        ``nulls`` (one row per reference: statistic, observed, null median, p-value) and
        ``by_k`` (per k: gap, its standard error, the index and each null's median and p).
    """
    from border_readiness.clustering.structure import GAP_REFERENCE, NULLS

    if test is None:
        return {
            "verdict": "not tested",
            "gap_k": 0,
            "B": 0,
            "statement": [
                "The structure test was not run: the clusters are not presented as types."
            ],
            "nulls": [],
            "by_k": [],
        }
    if test.has_structure:
        head = (
            f"The data show cluster structure: the gap statistic chooses k = {test.gap_k} and "
            f"the best {test.criterion} beats both structureless nulls "
            + ", ".join(f"(p = {p:.3f})" for p in test.p_values.values())
            + "."
        )
    else:
        head = (
            "The data show no cluster structure: the clusters are a partition of a "
            "structureless data set, not types of regions, and each agreement below reads as "
            "the expert typology versus a structureless data set."
        )
    rows = [
        {
            "null": GAP_REFERENCE,
            "statistic": "gap statistic, Tibshirani's rule over k = 1.."
            f"{int(test.per_k.index.max())}: chosen k",
            "observed": test.gap_k,
            "null_median": None,
            "p_value": None,
        }
    ]
    for name, text in NULLS.items():
        rows.append(
            {
                "null": text,
                "statistic": f"best {test.criterion} over k = 2..{int(test.per_k.index.max())}"
                f" (selection-aware), B = {test.B}",
                "observed": test.observed,
                "null_median": test.null_median[name],
                "p_value": test.p_values[name],
            }
        )
    # Every k, as in k_selection.csv: the gap with its standard error, and the index against
    # each null at that k (k = 1 has a gap but no silhouette).
    by_k = [
        {
            "k": int(k),
            "gap": row["gap"],
            "s_k": row["s_k"],
            f"structure_{test.criterion}": row[test.criterion],  # as in k_selection.csv
            **{c: row[c] for c in test.per_k.columns if c.endswith(("_median", "_p"))},
        }
        for k, row in test.per_k.iterrows()
    ]
    return {
        "verdict": test.verdict,
        "gap_k": test.gap_k,
        "B": test.B,
        "statement": [head, test.reason],
        "nulls": rows,
        "by_k": by_k,
    }


def _consensus_fields(run) -> dict:
    """The stability section's consensus sentence (scheme, PAC by k, best k) and caveats."""
    from border_readiness.clustering._small_n import small_n_caveats
    from border_readiness.clustering.stability.bootstrap import SINGLETON, SINGLETON_NOTE
    from border_readiness.experiments.artifacts import consensus_sentence

    pac = ", ".join(f"k = {k}: {v:.2f}" for k, v in run.consensus.pac.items())
    caveats = small_n_caveats(len(run.labels))
    small = f"{caveats['bootstrap']} {caveats['consensus']}"
    if SINGLETON in set(run.stability.verdict):
        small += f" Note: {SINGLETON_NOTE}."
    return {"consensus": f"{consensus_sentence(run)} PAC by k: {pac}.", "small_n": small}


def _fidelity_null_fields(explanation) -> dict:
    """The surrogate row's null median, p-value and small-n caveat (empty without a null)."""
    from border_readiness.clustering._small_n import small_n_caveats

    null = getattr(explanation, "fidelity_null", None)
    if null is None:
        return {}
    return {
        "null_median": null.median,
        "p_value": null.p_value,
        "null_replicates": null.B,
        "caveat": small_n_caveats(len(explanation.labels))["surrogate"],
    }
