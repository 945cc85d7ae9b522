"""Which Russian subjects a command analyses: ``border``, ``all``, or any set of ids or names.

``--regions`` and the config key ``data.regions`` take ``border`` (the 12 Kazakhstan-border
regions), ``all`` (every Russian subject in the data), a comma-separated list of ids or names
(any spelling :func:`~border_readiness.features.regions.resolve_region` knows; a federal
district stands for its subjects), or a file of them (``@file``, or the path of an existing
file): one per line or comma-separated, ``#`` starts a comment, a CSV header ``region_id``
is skipped. Whatever the set, the indicators are normalised against all Russian subjects.
"""

from __future__ import annotations

from pathlib import Path

from border_readiness.errors import UserInputError

__all__ = [
    "MIN_CLUSTER_REGIONS",
    "RegionSetError",
    "check_cluster_size",
    "region_selection",
    "selected_in_data",
    "typed_enough",
]

#: The fewest regions a clustering accepts: 3 per cluster for the smallest k (2), the small-n
#: guard ``k <= n // 3`` of :func:`border_readiness.clustering.models.max_clusters`.
MIN_CLUSTER_REGIONS = 6


class RegionSetError(UserInputError):
    """A ``--regions`` value that names no usable set of Russian subjects."""


def _entries(spec: str, where: str) -> tuple[list[str], str]:
    """The names of a spec (a list or a file), and how messages call their origin."""
    path = Path(spec[1:]) if spec.startswith("@") else Path(spec)
    if spec.startswith("@") or ("," not in spec and path.is_file()):
        from border_readiness.features._file_kinds import read_user_text

        text = read_user_text(
            path, RegionSetError, expected="a UTF-8 list of regions", label=f"{where} {spec}"
        )
        names = []
        for line in text.splitlines():
            line = line.split("#", 1)[0]
            names += [cell.strip() for cell in line.split(",")]
        names = [n for n in names if n]
        if names and names[0].casefold() == "region_id":
            names = names[1:]
        return names, f"{where} {spec}"
    return [n.strip() for n in spec.split(",") if n.strip()], where


def region_selection(regions: str | list[str] | tuple[str, ...], *, where: str = "--regions"):
    """The region ids a ``--regions`` value selects.

    Parameters
    ----------
    regions : str or sequence of str
        ``"border"``, ``"all"``, a comma-separated list of ids or names, ``@file`` or the path
        of a file of them, or a sequence of ids or names.
    where : str, default "--regions"
        How messages name the option (``"--regions"``, or the config file and key).

    Returns
    -------
    list of str or str
        ``"border"`` or ``"all"`` as given (the caller knows them), else the Russian subject
        ids in the order listed.

    Raises
    ------
    RegionSetError
        One line: an unknown name (with the closest known ones), a unit that is not a Russian
        subject, a region listed twice, or an empty set.

    Examples
    --------
    >>> region_selection("RU-OMS, Novosibirsk Region, Altai Republic")
    ['RU-OMS', 'RU-NVS', 'RU-AL']
    >>> region_selection("border")
    'border'
    """
    from border_readiness.features.regions import (
        UnknownRegionError,
        region_table,
        resolve_region,
        russian_subjects,
    )

    if isinstance(regions, str) and regions.strip() in ("border", "all"):
        return regions.strip()
    if isinstance(regions, str):
        names, origin = _entries(regions.strip(), where)
    else:
        names, origin = [str(r).strip() for r in regions], where
    if not names:
        raise RegionSetError(f"{origin}: no regions listed; expected border, all, ids or names")
    table = region_table()
    subjects = russian_subjects()
    ids: list[str] = []
    for name in names:
        try:
            rid = resolve_region(name)
        except UnknownRegionError:
            try:  # the suggestions then come from the Russian units only
                rid = resolve_region(name, country="RU")
            except UnknownRegionError as exc:
                raise RegionSetError(f"{origin}: {exc}") from None
        kind = table.at[rid, "kind"]
        if kind == "federal_district":
            members = [r for r in subjects if table.at[r, "federal_district"] == rid]
        elif rid in subjects:
            members = [rid]
        elif rid == "RU-TYU-WHOLE":
            raise RegionSetError(
                f"{origin}: {name!r} is Tyumen Oblast with its autonomous okrugs (RU-TYU-WHOLE), "
                "an aggregate; list RU-TYU (without them), RU-KHM and RU-YAN"
            )
        else:
            raise RegionSetError(
                f"{origin}: {name!r} is {rid} ({table.at[rid, 'name_en']}), not a Russian "
                "federal subject"
            )
        for rid in members:
            if rid in ids:
                raise RegionSetError(f"{origin}: {rid} is listed twice")
            ids.append(rid)
    return ids


def selected_in_data(regions, present: set[str], data_label: str):
    """The selected regions the data holds, refusing a named set with a region it lacks.

    Parameters
    ----------
    regions : str or list of str
        A ``--regions`` value (see :func:`region_selection`).
    present : set of str
        The region ids that have rows in the data.
    data_label : str
        How the data is named in the error ("bundled" or a file name).

    Returns
    -------
    (list of str, str, bool, str)
        The ids in order, the selection as text, whether it was named (``border`` or a list,
        analysed whole or not at all, unlike ``all``), and how messages call its regions.

    Raises
    ------
    RegionSetError
        A named set with a region that has no rows.

    Examples
    --------
    >>> selected_in_data("RU-OMS, Orenburg", {"RU-OMS", "RU-ORE"}, "bundled")[:3]
    (['RU-OMS', 'RU-ORE'], 'RU-OMS, Orenburg', True)
    """
    from border_readiness.features.regions import BORDER_REGIONS, russian_subjects

    chosen = region_selection(regions)
    what = "listed region(s)" if isinstance(chosen, list) else "border region(s)"
    if isinstance(chosen, list):
        selection = chosen
    else:
        selection = list(BORDER_REGIONS) if chosen == "border" else russian_subjects()
    explicit = chosen != "all"
    absent = [r for r in selection if r not in present]
    if explicit and absent:
        raise RegionSetError(f"--data {data_label}: no rows for {what} {', '.join(absent)}")
    label = regions if isinstance(regions, str) else ",".join(regions)
    return [r for r in selection if r in present], label, explicit, what


def check_cluster_size(n: int, k: int | None) -> None:
    """Refuse a clustering of too few regions: at least 3 per cluster (``k <= n // 3``).

    Parameters
    ----------
    n : int
        Regions to cluster.
    k : int, optional
        The number of clusters asked for; None lets the method choose (then k >= 2).

    Raises
    ------
    RegionSetError
        One line with the reason, when ``n < 3 × k`` (``n < 6`` without a k).

    Examples
    --------
    >>> check_cluster_size(12, 4)
    >>> check_cluster_size(9, 4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    border_readiness.experiments._region_sets.RegionSetError: k = 4 (--k or ...): 9 regions ...
    """
    if k is None and n < MIN_CLUSTER_REGIONS:
        raise RegionSetError(
            f"--regions: {n} region(s) are too few to cluster; clustering needs at least "
            f"{MIN_CLUSTER_REGIONS} (3 per cluster for k = 2)"
        )
    if k is not None and n < 3 * k:
        raise RegionSetError(
            f"k = {k} (--k or the config's cluster.k): {n} regions are too few for {k} "
            f"clusters; clustering needs at least 3 × k = {3 * k} (the small-n guard k <= n // 3)"
        )


def typed_enough(typology, labels, name: str, *, refuse: bool, say, hint: str = "") -> bool:
    """Whether a typology types enough of the clustered regions to measure agreement.

    Agreement needs as many typed regions as a clustering does (:data:`MIN_CLUSTER_REGIONS`).

    Parameters
    ----------
    typology : Typology
    labels : Series
        Cluster label per region id.
    name : str
        How messages name the typology.
    refuse : bool
        Raise (the typology was asked for by name) rather than skip it with a note.
    say : callable
        Receives the note when the typology is skipped.
    hint : str, default ""
        Appended to the error.

    Returns
    -------
    bool
        True when at least :data:`MIN_CLUSTER_REGIONS` clustered regions have a type.

    Raises
    ------
    RegionSetError
        When too few are typed and ``refuse``.

    Examples
    --------
    >>> import pandas as pd
    >>> from border_readiness.clustering.typologies import typology
    >>> fd = typology("federal_districts")
    >>> typed_enough(fd, pd.Series(0, index=["RU-OMS", "RU-TOM"]), "fd", refuse=False, say=print)
    note: agreement with fd skipped: it types 1 of the 2 regions; agreement needs at least 6
    False
    """
    typed = sum(1 for r in labels.index if r in typology.assignments)
    if typed >= MIN_CLUSTER_REGIONS:
        return True
    reason = (
        f"it types {typed} of the {len(labels)} regions; agreement needs at least "
        f"{MIN_CLUSTER_REGIONS}"
    )
    if refuse:
        raise RegionSetError(f"{name}: too few regions to compare: {reason}{hint}")
    say(f"note: agreement with {name} skipped: {reason}")
    return False
