"""The one declaration of the card's content: the ``_SCHEMA`` table and :func:`describe_schema`.

Validation (:mod:`._validate`), rendering (:mod:`._blocks`) and the documented schema all read
``_SCHEMA``, so the doctest of :func:`describe_schema` keeps the documented schema identical to
the enforced one. :data:`PERSON_FIELDS` are the only fields that may be left to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DATASHEET_HEADINGS",
    "MITCHELL_HEADINGS",
    "PERSON_FIELDS",
    "STUDY_CITATION",
    "CardDataError",
    "describe_schema",
]

STUDY_CITATION = (
    "O. M. Roy (2022), The role of Russian border regions in the cross-border cooperation "
    "between Russia and Kazakhstan, R-Economy 8(4), 369–383, DOI 10.15826/recon.2022.8.4.028"
)


# Fields only a person can answer -> what to write. Nothing else may be None or render as TODO.
PERSON_FIELDS: dict[str, str] = {
    "model_details.licence": "licence decided for this model and its outputs",
    "model_details.owner": "name and e-mail of the person or team answerable for this model",
    "model_details.reviewed_by": "name, role and date of the reviewer who checked this card",
    "intended_use.sign_off": "name, role and date of who approved the intended and "
    "out-of-scope uses",
}


class CardDataError(ValueError):
    """Invalid card data; the one-line message names the field path and what was expected."""


# --------------------------------------------------------------------------------------------
# Schema


@dataclass(frozen=True)
class _Spec:
    kind: str
    label: str
    fields: tuple[tuple[str, _Spec], ...] = ()
    # records: required columns and their cell kinds; extra columns are allowed.
    columns: tuple[tuple[str, str], ...] = ()
    min_rows: int = 0
    # records: a renderer replacing the plain table (e.g. to add derived columns).
    render: str = ""


def _f(kind: str, label: str) -> _Spec:
    return _Spec(kind, label)


def _rec(label: str, columns: str = "", min_rows: int = 0, render: str = "") -> _Spec:
    """Records with required ``"name:kind"`` columns, separated by spaces."""
    cols = tuple((c.split(":")[0], c.split(":")[1]) for c in columns.split())
    return _Spec("records", label, columns=cols, min_rows=min_rows, render=render)


def _section(label: str, *items: tuple[str, _Spec]) -> _Spec:
    return _Spec("section", label, fields=tuple(items))


# The one declaration of the card: validation, rendering order, headings and describe_schema()
# all read it. Inline kinds (str, int, ...) render as a field list; the others get a heading.
_SCHEMA = _section(
    "Model card",
    # First: the findings on one screen (issue 15); rendered by _summary, not as a plain section.
    (
        "summary",
        _Spec(
            "section",
            "Summary",
            fields=(
                (
                    "headline",
                    _rec(
                        "Headline scores (0–100) and ranks with their 5–95 % intervals",
                        "region:str name:str score:number rank:number rank_low:number "
                        "rank_high:number",
                    ),
                ),
                (
                    "agreement",
                    _rec(
                        "Agreement with each expert typology",
                        "typology:str title:str ari:number ari_ci:interval? p_value:number? "
                        "disagreeing:str",
                    ),
                ),
                (
                    "clusters",
                    _rec(
                        "Stability of the clusters",
                        "cluster:label size:int jaccard_mean:number? verdict:str members:str",
                    ),
                ),
                (
                    "drivers",
                    _rec(
                        "What drives each level (mean |SHAP| in score points)",
                        "level:str indicator:str label:str unit:str mean_abs_shap:number",
                    ),
                ),
                ("small_n", _f("text", "Small-n caveat")),
            ),
            render="summary",
        ),
    ),
    (
        "model_details",
        _section(
            "Model details",
            ("name", _f("str", "Name")),
            ("version", _f("version", "Version")),
            ("run_id", _f("str", "MLflow run id")),
            ("created", _f("timestamp", "Created")),
            ("package_version", _f("str", "Package version (border-readiness)")),
            ("model_type", _f("str", "Model type and method")),
            ("training_year", _f("int", "Training data year")),
            ("regions", _f("ids", "Regions")),
            ("citation", _f("str", "Study implemented")),
            ("licence", _f("person", "Licence")),
            ("owner", _f("person", "Owner and contact")),
            ("reviewed_by", _f("person", "Reviewed by")),
            ("config_summary", _f("kv", "Configuration")),
        ),
    ),
    (
        "intended_use",
        _section(
            "Intended use",
            # First: a field list right after a bullet list would merge into it in Markdown.
            ("sign_off", _f("person", "Intended uses signed off by")),
            ("primary_uses", _f("strs", "Primary uses")),
            ("primary_users", _f("strs", "Primary users")),
            ("out_of_scope_uses", _f("strs", "Out-of-scope uses")),
        ),
    ),
    (
        "factors",
        _section(
            "Factors",
            (
                "relevant_factors",
                _rec("Relevant factors", "factor:str values:cell rationale:str", 1),
            ),
            (
                "levels",
                _rec(
                    "What each level measures (indicators: side of the border, weight)",
                    "level:str meaning:str indicators:str not_published:str",
                ),
            ),
            ("evaluation_factors", _f("strs", "Evaluation factors")),
        ),
    ),
    (
        "metrics",
        _section(
            "Metrics",
            (
                "structure",
                _section(
                    "Is there cluster structure?",
                    ("verdict", _f("str", "Verdict")),
                    ("gap_k", _f("int", "k chosen by the gap statistic (1 = no clusters)")),
                    ("B", _f("int", "Replicates per null")),
                    ("statement", _f("text", "In words")),
                    (
                        "nulls",
                        _rec(
                            "Against reference nulls",
                            "null:str statistic:str observed:number? null_median:number? "
                            "p_value:number?",
                        ),
                    ),
                    ("by_k", _rec("For every k", "k:int gap:number? s_k:number?")),
                ),
            ),
            (
                "agreement",
                _rec(
                    "Agreement with expert typologies",
                    "typology:str level:str ari:number ami:number? p_value:number? "
                    "ari_ci:interval?",
                ),
            ),
            (
                "internal_consistency",
                _rec(
                    "Internal consistency with the package's own profiles (not a validation)",
                    "typology:str level:str ari:number ami:number? p_value:number? "
                    "ari_ci:interval?",
                ),
            ),
            (
                "stability",
                _section(
                    "Cluster stability",
                    ("method", _f("str", "Method")),
                    ("pac", _f("number?", "PAC at the chosen k")),
                    ("consensus", _f("str", "Consensus scheme, PAC by k and best k")),
                    ("small_n", _f("str", "Small-n caveats")),
                    (
                        "clusters",
                        _rec(
                            "Mean Jaccard per cluster (Hennig verdicts)",
                            "cluster:label size:int jaccard_mean:number? verdict:str",
                            1,
                        ),
                    ),
                ),
            ),
            ("internal_indices", _f("kv", "Internal indices")),
            (
                "surrogate_fidelity",
                _rec(
                    "Surrogate fidelity (leave-one-out)",
                    "target:str model:str loo_fidelity:number?",
                ),
            ),
            (
                "score_uncertainty",
                _section(
                    "Score uncertainty",
                    ("method", _f("str", "Method")),
                    ("interval", _f("str", "Interval")),
                    ("weighting", _f("str", "Weighting schemes sampled")),
                    (
                        "ranks",
                        _rec(
                            "Rank intervals",
                            "region:str level:str rank_low:number rank_high:number",
                            render="rank_widths",
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "evaluation_data",
        _section(
            "Evaluation data",
            ("description", _f("text", "Description")),
            ("typologies", _rec("Expert typologies", "name:str source:str", 1)),
        ),
    ),
    (
        "training_data",
        _section(
            "Training data",
            ("dataset", _f("str", "Dataset")),
            ("digest", _f("str", "Digest")),
            ("year", _f("int", "Year")),
            ("n_regions", _f("int", "Number of regions")),
            ("n_indicators", _f("int", "Number of indicators")),
            ("description", _f("text", "Description")),
            ("indicators", _rec("Indicators")),
        ),
    ),
    (
        "quantitative_analyses",
        _section(
            "Quantitative analyses",
            ("by_type", _rec("By cluster")),
            ("by_level", _rec("By readiness level")),
            ("by_federal_district", _rec("By federal district")),
            ("coherence_verdict", _f("text", "Coherence of each level")),
            (
                "coherence",
                _rec(
                    "Coherence per level over the reference regions (OECD/JRC Handbook)",
                    "level:str flag:str",
                ),
            ),
            # Just above the figures, whose first is the map.
            ("map_method", _f("text", "2-D map")),
            # Rendered as the figures themselves, each with its caption (what it shows, the
            # data year and the method); a figure without a row gets a generic caption.
            (
                "figure_captions",
                _Spec(
                    "records",
                    "Figures",
                    columns=(("name", "str"), ("caption", "str")),
                    render="figures",
                ),
            ),
        ),
    ),
    ("ethical_considerations", _f("strs", "Ethical considerations")),
    (
        "caveats_and_recommendations",
        _section(
            "Caveats and recommendations",
            ("caveats", _f("strs", "Caveats")),
            ("recommendations", _f("strs", "Recommendations")),
        ),
    ),
    (
        "datasheet",
        _section(
            "Datasheet",
            ("motivation", _f("text", "Motivation")),
            (
                "composition",
                _section(
                    "Composition",
                    ("sources", _rec("Sources", "name:str", 1)),
                    ("tables", _rec("Tables")),
                    ("coverage", _f("kv", "Coverage")),
                    ("missingness", _rec("Missingness")),
                    ("imputation_summary", _rec("Imputed cells by kind, method and role")),
                    ("imputations", _rec("Imputations")),
                    ("series_breaks", _rec("Known series breaks")),
                ),
            ),
            ("collection_process", _f("text", "Collection process")),
            ("preprocessing", _f("text", "Preprocessing, cleaning and labelling")),
            ("uses", _f("text", "Uses")),
            ("distribution", _f("text", "Distribution")),
            ("maintenance", _f("text", "Maintenance")),
        ),
    ),
)

_SECTION_NAMES = tuple(name for name, _ in _SCHEMA.fields)
MITCHELL_HEADINGS: tuple[str, ...] = tuple(s.label for _, s in _SCHEMA.fields[1:-1])
DATASHEET_HEADINGS: tuple[str, ...] = tuple(s.label for _, s in _SCHEMA.fields[-1][1].fields)

_KIND_TEXT = {
    "str": "str",
    "text": "str | list[str]",
    "strs": "list[str], at least one",
    "ids": "list[str] of ISO 3166-2 ids, at least one, unique",
    "int": "int",
    "number?": "number | None",
    "version": "int | str",
    "timestamp": "str, ISO 8601 date and time",
    "person": "str | None",
    "kv": "dict[str, scalar | list[scalar]]",
    "cell": "scalar | list[scalar]",
    "label": "str | int",
    "number": "number",
    "interval?": "[low, high] | None",
}


def describe_schema() -> str:
    """The input schema of :class:`CardData`, one line per field (generated from the validator).

    ``records`` are lists of dicts (or a DataFrame) with the listed required columns; extra
    columns are allowed and every row has the same columns. Cells are scalars (str, int, float,
    bool, None) or lists of scalars; NaN becomes None and renders as ``n/a``.

    Returns
    -------
    str
        One line per section (``name: section "Title"``) followed by its fields indented
        (``field: type``), newline-separated.

    Examples
    --------
    >>> print(describe_schema())
    summary: section "Summary"
      headline: records(region: str, name: str, score: number, rank: number, rank_low: number, \
rank_high: number)
      agreement: records(typology: str, title: str, ari: number, ari_ci: [low, high] | None, \
p_value: number | None, disagreeing: str)
      clusters: records(cluster: str | int, size: int, jaccard_mean: number | None, verdict: str, \
members: str)
      drivers: records(level: str, indicator: str, label: str, unit: str, mean_abs_shap: number)
      small_n: str | list[str]
    model_details: section "Model details"
      name: str
      version: int | str
      run_id: str
      created: str, ISO 8601 date and time
      package_version: str
      model_type: str
      training_year: int
      regions: list[str] of ISO 3166-2 ids, at least one, unique
      citation: str
      licence: str | None  [person: licence decided for this model and its outputs]
      owner: str | None  [person: name and e-mail of the person or team answerable for this model]
      reviewed_by: str | None  [person: name, role and date of the reviewer who checked this card]
      config_summary: dict[str, scalar | list[scalar]]
    intended_use: section "Intended use"
      sign_off: str | None  [person: name, role and date of who approved the intended and \
out-of-scope uses]
      primary_uses: list[str], at least one
      primary_users: list[str], at least one
      out_of_scope_uses: list[str], at least one
    factors: section "Factors"
      relevant_factors: records(factor: str, values: scalar | list[scalar], rationale: str), \
at least 1 row
      levels: records(level: str, meaning: str, indicators: str, not_published: str)
      evaluation_factors: list[str], at least one
    metrics: section "Metrics"
      structure: section "Is there cluster structure?"
        verdict: str
        gap_k: int
        B: int
        statement: str | list[str]
        nulls: records(null: str, statistic: str, observed: number | None, \
null_median: number | None, p_value: number | None)
        by_k: records(k: int, gap: number | None, s_k: number | None)
      agreement: records(typology: str, level: str, ari: number, ami: number | None, \
p_value: number | None, ari_ci: [low, high] | None)
      internal_consistency: records(typology: str, level: str, ari: number, ami: number | None, \
p_value: number | None, ari_ci: [low, high] | None)
      stability: section "Cluster stability"
        method: str
        pac: number | None
        consensus: str
        small_n: str
        clusters: records(cluster: str | int, size: int, jaccard_mean: number | None, \
verdict: str), at least 1 row
      internal_indices: dict[str, scalar | list[scalar]]
      surrogate_fidelity: records(target: str, model: str, loo_fidelity: number | None)
      score_uncertainty: section "Score uncertainty"
        method: str
        interval: str
        weighting: str
        ranks: records(region: str, level: str, rank_low: number, rank_high: number)
    evaluation_data: section "Evaluation data"
      description: str | list[str]
      typologies: records(name: str, source: str), at least 1 row
    training_data: section "Training data"
      dataset: str
      digest: str
      year: int
      n_regions: int
      n_indicators: int
      description: str | list[str]
      indicators: records
    quantitative_analyses: section "Quantitative analyses"
      by_type: records
      by_level: records
      by_federal_district: records
      coherence_verdict: str | list[str]
      coherence: records(level: str, flag: str)
      map_method: str | list[str]
      figure_captions: records(name: str, caption: str)
    ethical_considerations: list[str], at least one
    caveats_and_recommendations: section "Caveats and recommendations"
      caveats: list[str], at least one
      recommendations: list[str], at least one
    datasheet: section "Datasheet"
      motivation: str | list[str]
      composition: section "Composition"
        sources: records(name: str), at least 1 row
        tables: records
        coverage: dict[str, scalar | list[scalar]]
        missingness: records
        imputation_summary: records
        imputations: records
        series_breaks: records
      collection_process: str | list[str]
      preprocessing: str | list[str]
      uses: str | list[str]
      distribution: str | list[str]
      maintenance: str | list[str]
    """
    lines: list[str] = []

    def walk(spec: _Spec, path: str, indent: str) -> None:
        for name, sub in spec.fields:
            full = f"{path}.{name}" if path else name
            if sub.kind == "section":
                lines.append(f'{indent}{name}: section "{sub.label}"')
                walk(sub, full, indent + "  ")
                continue
            if sub.kind == "records":
                cols = ", ".join(f"{c}: {_KIND_TEXT[k]}" for c, k in sub.columns)
                text = f"records({cols})" if cols else "records"
                if sub.min_rows:
                    text += f", at least {sub.min_rows} row"
            else:
                text = _KIND_TEXT[sub.kind]
            if sub.kind == "person":
                text += f"  [person: {PERSON_FIELDS[full]}]"
            lines.append(f"{indent}{name}: {text}")

    walk(_SCHEMA, "", "")
    return "\n".join(lines)
