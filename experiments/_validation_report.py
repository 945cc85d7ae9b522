"""The report of ``typology validate`` in names: contingency, metrics, stability, drivers.

The same content goes to the console (:func:`report_text`) and to ``validation.md``
(:func:`report_markdown`); :func:`named_contingency` is also written as
``contingency_named.csv``. Everything here reads results already computed (the agreement
report, the disagreement drivers, the clusters' bootstrap stability); nothing is fitted.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from border_readiness.features.catalogue import short_unit

__all__ = [
    "cluster_stability",
    "driver_sentences",
    "named_contingency",
    "report_markdown",
    "report_text",
    "short_unit",
    "sibling_stability",
    "write_report",
]

#: Disagreements are explained by at most this many indicators, the strongest pulls first.
TOP_DRIVERS = 3


def _names() -> pd.Series:
    from border_readiness.features.regions import region_table

    return region_table()["name_en"]


def _label(rid, names) -> str:
    name = names.get(rid, "")
    return f"{name} ({rid})" if name else str(rid)


def _type_label(typology, tid) -> str:
    """``"Least stable ('least_stable')"``: the expert's own name of a type, with its id."""
    info = typology.types.get(tid) if hasattr(typology, "types") else None
    return f"{info.name} ('{tid}')" if info is not None and info.name else f"'{tid}'"


def _number(x: float) -> str:
    if x != x:
        return "n/a"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def cluster_stability(run) -> dict:
    """The clusters' bootstrap Jaccard verdicts of a fitted clustering, as the report reads them.

    Parameters
    ----------
    run : ClusterRun
        With its stability assessed (:func:`~border_readiness.experiments.steps.assess_stability`).

    Returns
    -------
    dict
        ``source``, ``B``, ``rows`` (``cluster, size, jaccard, verdict`` per cluster) and
        ``structure`` (the structure test's sentence, or "").
    """
    from border_readiness.experiments._reporting import structure_line

    stab = run.stability
    rows = [
        (c, int(s), float(j), str(v))
        for c, s, j, v in zip(
            stab.clusters, stab.sizes, stab.jaccard_mean, stab.verdict, strict=True
        )
    ]
    return {
        "source": f"fitted here: bootstrap Jaccard (fpc::clusterboot), B = {stab.B}",
        "B": int(stab.B),
        "rows": rows,
        "structure": structure_line(run),
    }


def sibling_stability(path: str | Path, clusters: pd.Series) -> tuple[dict | None, str]:
    """The stability.json that ``cluster`` wrote beside a clusters file, if it is of those clusters.

    ``typology validate --clusters FILE`` fits nothing, so it has no bootstrap of its own; the
    ``cluster`` command writes ``stability.json`` next to ``clusters.csv``. It is used only
    when its regions, cluster ids and cluster sizes are those of ``clusters``.

    Parameters
    ----------
    path : str or Path
        The ``--clusters`` file.
    clusters : Series
        Its labels by region id.

    Returns
    -------
    (dict or None, str)
        The stability as :func:`cluster_stability` gives it (None when absent or not of these
        clusters) and a sentence saying where it came from or why there is none.
    """
    where = Path(path).with_name("stability.json")
    none = (
        f"no stability: the clusters come from {path} and this command fits nothing to "
        "bootstrap; drop --clusters to fit and assess them here"
    )
    try:
        d = json.loads(where.read_text(encoding="utf-8"))
        ids, sizes, jm, verdict = d["clusters"], d["cluster_sizes"], d["jaccard_mean"], d["verdict"]
        regions = set(d["regions"])
        rows = [
            (int(c), int(s), float(j), str(v))
            for c, s, j, v in zip(ids, sizes, jm, verdict, strict=True)
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None, none + f" ({where.name} beside it is absent or unreadable)"
    counts = {str(c): int(n) for c, n in clusters.value_counts().items()}
    listed = {str(c): int(n) for c, n in zip(ids, sizes, strict=False)}
    if regions != {str(r) for r in clusters.index} or counts != listed:
        return None, none + f" ({where} is of other clusters: regions or sizes differ)"
    structure = (d.get("structure") or {}).get("reason", "")
    return {
        "source": f"read from {where} (the `cluster` run that wrote {Path(path).name}), "
        f"B = {d.get('B')}",
        "B": d.get("B"),
        "rows": rows,
        "structure": f"structure test: {structure}" if structure else "",
    }, ""


def write_report(out, a, name: str, stability: dict | None, stability_note: str = "") -> None:
    """``validation.md`` and ``contingency_named.csv`` of one typology into an OutputSet.

    Parameters
    ----------
    out : OutputSet
        Collects the files (nothing is written before its ``commit``).
    a : Analysis
    name : str
    stability : dict or None
    stability_note : str, optional
    """
    out.text("validation.md", report_markdown(a, name, stability, stability_note))
    out.csv("contingency_named.csv", named_contingency(a.validations[name]))


def named_contingency(v) -> pd.DataFrame:
    """The aligned contingency table with the regions' names in its cells.

    Parameters
    ----------
    v : ValidationRun
        From :func:`~border_readiness.experiments.interpret.validate`.

    Returns
    -------
    DataFrame
        One row per expert type (``expert_type`` id, ``expert_type_name``), one column per data
        cluster, ``cluster <c> (matched to '<type>')`` or ``cluster <c> (unmatched)``, in the
        aligned order of the report's contingency table; each cell lists the names of the
        regions with that type and cluster, "; "-separated (empty when none).
    """
    rep, typ = v.report, v.typology
    names = _names()
    table = rep.assignments
    columns = {}
    for c in rep.contingency.columns:
        matched = rep.matching.get(c)
        head = (
            f"cluster {c} (matched to '{matched}')"
            if matched is not None
            else f"cluster {c} (unmatched)"
        )
        columns[c] = head
    rows = []
    for t in rep.contingency.index:
        info = typ.types.get(t) if hasattr(typ, "types") else None
        row = {"expert_type": t, "expert_type_name": info.name if info is not None else ""}
        for c, head in columns.items():
            members = table[(table["expert_type"] == t) & (table["cluster"] == c)]["region_id"]
            row[head] = "; ".join(names.get(r, str(r)) for r in members)
        rows.append(row)
    return pd.DataFrame(rows, columns=["expert_type", "expert_type_name", *columns.values()])


def driver_sentences(v, prep, top: int = TOP_DRIVERS) -> dict:
    """What pulls each disagreeing region away from its expert type, in words.

    Parameters
    ----------
    v : ValidationRun
        Its ``drivers`` (:func:`~border_readiness.clustering.explain.disagreement_drivers`)
        and agreement report.
    prep : Prepared
        The compiled indicators (raw values per region) and the catalogue (labels, units).
    top : int, default 3
        Indicators per region, the largest positive ``net`` pulls first.

    Returns
    -------
    dict
        region id -> "pulled away by <label> (<value> <unit>; the other regions of the data
        type average <x>, the expert type's <y>), ..." or the note why none was computed.
    """
    drivers, table = v.drivers, v.report.assignments.set_index("region_id")
    catalogue = {ind.id: ind for ind in prep.catalogue}
    raw = prep.compiled.matrix
    out = {}
    notes = list(drivers["note"].dropna()) if "note" in drivers else []
    explained = {"region_id", "net", "rank"} <= set(drivers.columns)
    for rid in v.report.disagreements["region_id"]:
        rows = drivers[drivers["region_id"] == rid] if explained else drivers.iloc[:0]
        if explained:
            rows = rows[(rows["net"] > 0) & (rows["rank"] <= top)]
        if not len(rows):
            why = next((n for n in notes if str(rid) in n), "no indicator pulls it away")
            out[rid] = f"no drivers: {why}"
            continue
        me = table.loc[rid]
        others = table.drop(index=rid)
        data_group = others.index[others["data_type"] == me["data_type"]]
        expert_group = others.index[others["expert_type"] == me["expert_type"]]
        parts = []
        for r in rows.sort_values("rank").itertuples():
            ind = catalogue.get(r.feature)
            label = ind.label if ind is not None and ind.label else r.feature
            unit = short_unit(ind.unit) if ind is not None else ""
            col = raw[r.feature] if r.feature in raw.columns else None
            if col is None or rid not in col.index:
                parts.append(label)
                continue
            value = float(col[rid])
            mean_data = float(col.reindex(data_group).mean())
            mean_expert = float(col.reindex(expert_group).mean())
            parts.append(
                f"{label} ({_number(value)} {unit}; the other regions of its data cluster "
                f"average {_number(mean_data)}, the expert type's {_number(mean_expert)})"
            )
        out[rid] = "pulled away by " + ", ".join(parts)
    return out


def _metrics_lines(v) -> list[str]:
    rep = v.report
    level = f"{rep.ci_level:.0%}"
    lo, hi = rep.ari_ci
    alo, ahi = v.ami_ci
    p_ami = rep.p_values.get("ami", math.nan)
    lines = [
        f"ARI {rep.ari:.2f} [{level} CI {lo:.2f}, {hi:.2f}], permutation p = {rep.p_value:.3f}",
        f"AMI {rep.ami:.2f} [{level} CI {alo:.2f}, {ahi:.2f}], permutation p = {p_ami:.3f}",
        f"({rep.n_permutations} permutations with cluster sizes fixed; {rep.n_bootstrap} "
        "bootstrap resamples of the regions; NMI "
        f"{rep.nmi:.2f}, FMI {rep.fmi:.2f}, V-measure {rep.v_measure:.2f})",
    ]
    if rep.n_resolutions > 1:
        from border_readiness.experiments._reporting import ari_range_text

        lines.append("ARI " + ari_range_text(rep))
    return lines


def _stability_of(stability, cluster) -> str:
    if stability is None:
        return ""
    for c, _s, j, verdict in stability["rows"]:
        if str(c) == str(cluster):
            return f"; cluster {c}'s bootstrap verdict: {verdict} (mean Jaccard {j:.2f})"
    return ""


def _disagreement_lines(v, prep, stability) -> list[str]:
    names, typ, rep = _names(), v.typology, v.report
    said = driver_sentences(v, prep)
    lines = []
    for row in rep.disagreements.itertuples():
        a = rep.assignments.set_index("region_id").loc[row.region_id]
        types = " or ".join(_type_label(typ, t) for t in a["expert_types"])
        matched = rep.matching.get(row.cluster)
        data = (
            f"matched to {_type_label(typ, matched)}"
            if matched is not None
            else "matched to no type"
        )
        lines.append(
            f"{_label(row.region_id, names)}: expert {types}, data cluster {row.cluster} "
            f"({data}){_stability_of(stability, row.cluster)}; {said[row.region_id]}"
        )
    return lines


def _head(a, name, v) -> str:
    typ, rep = v.typology, v.report
    return (
        f"{name} ({typ.title}) vs {a.run.method} (k = {a.run.k}), {rep.n_regions} regions "
        f"evaluated, {a.prep.year}"
    )


def _grid(v) -> list[list[str]]:
    """The count table with the types' names: a header row, then one row per expert type."""
    rep = v.report
    head = ["expert type \\ data cluster"] + [
        f"{c} -> '{rep.matching[c]}'" if c in rep.matching else f"{c} (unmatched)"
        for c in rep.contingency.columns
    ]
    body = [
        [_type_label(v.typology, t)] + [str(int(x)) for x in rep.contingency.loc[t]]
        for t in rep.contingency.index
    ]
    return [head, *body]


def report_text(a, name: str, stability: dict | None, stability_note: str = "") -> str:
    """The console report of ``typology validate`` for one typology.

    Parameters
    ----------
    a : Analysis
        With ``validations[name]``.
    name : str
        The typology's key.
    stability : dict or None
        :func:`cluster_stability` or :func:`sibling_stability`; None when there is none.
    stability_note : str, optional
        Why there is none.

    Returns
    -------
    str
    """
    v = a.validations[name]
    names, rep = _names(), v.report
    out = [_head(a, name, v), *("  " + line for line in _metrics_lines(v))]
    out.append("contingency (rows: expert types; columns: data clusters, aligned pairs first):")
    grid = _grid(v)
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    out += [
        ("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip()
        for r in grid
    ]
    out.append("  regions in the cells:")
    for t, row in named_contingency(v).set_index("expert_type").iterrows():
        for col, cell in row.drop("expert_type_name").items():
            if cell:
                out.append(f"    {_type_label(v.typology, t)} × {col}: {cell.replace('; ', ', ')}")
    out.append("stability of the data clusters:")
    if stability is None:
        out.append(f"  {stability_note}")
    else:
        out.append(f"  {stability['source']}")
        # Every region of the cluster, also those the typology does not assign.
        members = v.clusters.groupby(v.clusters).groups
        for c, size, j, verdict in stability["rows"]:
            who = ", ".join(names.get(r, r) for r in members.get(c, members.get(str(c), [])))
            out.append(f"  cluster {c} ({size} regions): mean Jaccard {j:.2f}, {verdict}: {who}")
        if stability["structure"]:
            out.append(f"  {stability['structure']}")
    out.append(f"disagreeing regions ({len(rep.disagreements)} of {rep.n_regions}):")
    out += ["  " + line for line in _disagreement_lines(v, a.prep, stability)] or ["  none"]
    for row in rep.excluded.itertuples():
        out.append(f"not evaluated: {_label(row.region_id, names)}: {row.reason}")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report_markdown(a, name: str, stability: dict | None, stability_note: str = "") -> str:
    """``validation.md``: the report of :func:`report_text` as Markdown, with the notes.

    Parameters
    ----------
    a : Analysis
    name : str
    stability : dict or None
    stability_note : str, optional

    Returns
    -------
    str
    """
    v = a.validations[name]
    names, rep, typ = _names(), v.report, v.typology
    md = [f"# Agreement of `{name}` with the data's clusters", "", _md_cell(_head(a, name, v)), ""]
    md += [f"*Citation:* {_md_cell(typ.citation)}", ""] if typ.citation else []
    md += ["## Agreement", ""] + [f"- {_md_cell(x)}" for x in _metrics_lines(v)] + [""]
    md += [
        "## Contingency table",
        "",
        "Rows: expert types; columns: data clusters (aligned pairs first).",
        "",
    ]
    grid = _grid(v)
    cells = named_contingency(v).set_index("expert_type").drop(columns="expert_type_name")
    md.append("| " + " | ".join(_md_cell(c) for c in grid[0]) + " |")
    md.append("|" + "---|" * len(grid[0]))
    for t, row in zip(rep.contingency.index, grid[1:], strict=True):
        body = [f"{n}: {cells.loc[t].iloc[i]}" if n != "0" else "0" for i, n in enumerate(row[1:])]
        md.append("| " + " | ".join(_md_cell(c) for c in [row[0], *body]) + " |")
    md += ["", "## Stability of the data clusters", ""]
    if stability is None:
        md += [_md_cell(stability_note), ""]
    else:
        md += [
            _md_cell(stability["source"]),
            "",
            "| cluster | regions | mean Jaccard | verdict |",
            "|---|---|---|---|",
        ]
        md += [f"| {c} | {s} | {j:.2f} | {verdict} |" for c, s, j, verdict in stability["rows"]]
        md += ["", _md_cell(stability["structure"]), ""] if stability["structure"] else [""]
    md += ["## Regions where the data disagree with the expert", ""]
    md += [f"- {_md_cell(x)}" for x in _disagreement_lines(v, a.prep, stability)] or ["None."]
    md += [
        "",
        "## Regions",
        "",
        "| region | name | expert type(s) | cluster | data type | agrees |",
        "|---|---|---|---|---|---|",
    ]
    for r in rep.assignments.itertuples():
        md.append(
            f"| {r.region_id} | {_md_cell(names.get(r.region_id, ''))} | "
            f"{_md_cell(', '.join(r.expert_types))} | {r.cluster} | {_md_cell(r.data_type)} | "
            f"{'yes' if r.agrees else 'no'} |"
        )
    for r in rep.excluded.itertuples():
        md.append(
            f"| {r.region_id} | {_md_cell(names.get(r.region_id, ''))} | "
            f"not evaluated: {_md_cell(r.reason)} | | | |"
        )
    md += ["", "## Notes", ""] + [f"- {_md_cell(n)}" for n in rep.notes] + [""]
    return "\n".join(md)
