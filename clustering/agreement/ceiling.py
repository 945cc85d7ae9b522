"""What agreement to expect and to demand: the expert-vs-expert ceiling, and a CI check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from border_readiness.clustering.agreement._inputs import _as_series, _expert_types
from border_readiness.clustering.agreement.report import AgreementReport, agreement
from border_readiness.errors import BorderReadinessError


class AgreementAssertionError(BorderReadinessError, AssertionError):
    """Raised by :func:`assert_agreement` when agreement falls below the agreed level."""

    # Tracebacks (and pickles) name it by its public path, as before the split.
    __module__ = "border_readiness.clustering.agreement"


def expert_ceiling(typologies: Mapping[str, pd.Series], **kw: Any) -> pd.DataFrame:
    """Pairwise agreement between expert typologies: the ceiling for model-expert agreement.

    Two experts typing the same regions rarely agree perfectly; data clusters cannot be
    expected to agree with one expert better than a second expert does. Every unordered pair
    of typologies, in the order given, is compared with :func:`agreement`, the first as the
    expert and the second in the place of the clusters. Regions with several types in the
    second typology cannot stand in for a single cluster label and are left out of that pair
    (counted in ``n_excluded``); those of the first follow ``multi_type``.

    Parameters
    ----------
    typologies : mapping of str to Series
        Name -> typology (region_id -> type or tuple of types). At least two.
    **kw
        Passed to :func:`agreement` (``n_permutations``, ``n_bootstrap``, ``random_state``,
        ``multi_type``, ...).

    Returns
    -------
    DataFrame
        One row per pair: ``typology_a, typology_b, n_regions, ari, ari_ci_low, ari_ci_high,
        ami, nmi, fmi, v_measure, p_value, n_excluded``.

    Examples
    --------
    >>> import pandas as pd
    >>> zoning = pd.Series({"A": "West", "B": "West", "C": "East", "D": "East"})
    >>> levels = pd.Series({"A": "high", "B": "low", "C": "low", "D": "low"})
    >>> table = expert_ceiling({"zoning": zoning, "levels": levels, "same": zoning},
    ...                        n_permutations=99, n_bootstrap=0)
    >>> table[["typology_a", "typology_b", "n_regions", "ari"]].round(3)
      typology_a typology_b  n_regions  ari
    0     zoning     levels          4  0.0
    1     zoning       same          4  1.0
    2     levels       same          4  0.0
    """
    if not isinstance(typologies, Mapping) or len(typologies) < 2:
        raise ValueError("expert_ceiling needs a mapping of at least two named typologies")
    names = list(typologies)
    rows = []
    for i, name_a in enumerate(names):
        for name_b in names[i + 1 :]:
            second = _as_series(typologies[name_b], f"typology {name_b!r}")
            types = {r: _expert_types(r, v) for r, v in second.items()}
            as_labels = pd.Series({r: t[0] for r, t in types.items() if len(t) == 1}, dtype=object)
            report = agreement(typologies[name_a], as_labels, **kw)
            rows.append(
                {
                    "typology_a": name_a,
                    "typology_b": name_b,
                    "n_regions": report.n_regions,
                    "ari": report.ari,
                    "ari_ci_low": report.ari_ci[0],
                    "ari_ci_high": report.ari_ci[1],
                    "ami": report.ami,
                    "nmi": report.nmi,
                    "fmi": report.fmi,
                    "v_measure": report.v_measure,
                    "p_value": report.p_value,
                    # Regions dropped from the second typology are absent from the labels, so
                    # the report already counts them.
                    "n_excluded": len(report.excluded),
                }
            )
    return pd.DataFrame(rows)


def assert_agreement(
    report_or_expert: AgreementReport | pd.Series | Mapping,
    clusters: pd.Series | Mapping | None = None,
    *,
    min_ari: float | None = None,
    max_p: float | None = None,
    **kw: Any,
) -> AgreementReport:
    """Fail loudly when agreement with the expert typology drops below an agreed level.

    Meant for a retraining CI: ``assert_agreement(expert, new_clusters, min_ari=0.4,
    max_p=0.05)`` passes silently (returning the report) or raises
    :class:`AgreementAssertionError`, an ``AssertionError``, so pytest shows it as a failed
    test.

    Parameters
    ----------
    report_or_expert : AgreementReport or Series or mapping
        A finished report, or the expert typology (then ``clusters`` is required).
    clusters : Series or mapping, optional
        Cluster labels, when ``report_or_expert`` is a typology.
    min_ari : float, optional
        Fail when ``ARI < min_ari``.
    max_p : float, optional
        Fail when the ARI's permutation p-value exceeds ``max_p``.
    **kw
        Passed to :func:`agreement` when a typology is given.

    Returns
    -------
    AgreementReport

    Raises
    ------
    AgreementAssertionError
        One line naming every failed criterion with the figures.

    Examples
    --------
    >>> import pandas as pd
    >>> expert = pd.Series({"A": "W", "B": "W", "C": "W", "D": "E", "E": "E", "F": "E"})
    >>> clusters = pd.Series({"A": 0, "B": 0, "C": 1, "D": 1, "E": 1, "F": 1})
    >>> assert_agreement(expert, clusters, min_ari=0.2, n_permutations=99).ari > 0.2
    True
    >>> assert_agreement(expert, clusters, min_ari=0.5, n_permutations=99, n_bootstrap=0)
    ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    border_readiness.clustering.agreement.AgreementAssertionError: agreement check failed: ARI =
    0.324 < ...
    """
    if min_ari is None and max_p is None:
        raise ValueError("assert_agreement needs min_ari and/or max_p")
    if min_ari is not None and not (isinstance(min_ari, (int, float)) and -1 <= min_ari <= 1):
        raise ValueError(f"min_ari must be a number in [-1, 1], got {min_ari!r}")
    if max_p is not None and not (isinstance(max_p, (int, float)) and 0 < max_p <= 1):
        raise ValueError(f"max_p must be a number in (0, 1], got {max_p!r}")
    if isinstance(report_or_expert, AgreementReport):
        if clusters is not None or kw:
            raise TypeError("pass either a finished AgreementReport or expert and clusters")
        report = report_or_expert
    else:
        if clusters is None:
            raise TypeError("clusters is required when report_or_expert is an expert typology")
        report = agreement(report_or_expert, clusters, **kw)
    if max_p is not None:
        if report.n_permutations == 0:
            raise ValueError("max_p needs a p-value: run agreement with n_permutations > 0")
        if max_p < 1 / (report.n_permutations + 1):
            raise ValueError(
                f"max_p = {max_p:g} cannot be reached with {report.n_permutations} "
                f"permutations (smallest p is {1 / (report.n_permutations + 1):.2g})"
            )
    failed = []
    if min_ari is not None and not report.ari >= min_ari:
        failed.append(f"ARI = {report.ari:.3g} < min_ari = {min_ari:g}")
    if max_p is not None and not report.p_value <= max_p:
        failed.append(f"p = {report.p_value:.3g} > max_p = {max_p:g}")
    if failed:
        lo, hi = report.ari_ci
        figures = f"n = {report.n_regions} regions, p = {report.p_value:.3g}"
        if not math.isnan(lo):
            figures += f", {report.ci_level:.0%} CI [{lo:.3g}, {hi:.3g}]"
        raise AgreementAssertionError(f"agreement check failed: {'; '.join(failed)} ({figures})")
    return report
