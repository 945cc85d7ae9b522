"""The one sequence of analysis steps, used by every command.

``prepare -> score -> uncertainty -> cluster -> stability -> validate -> explain -> embed``

A command asks for the steps whose outputs it writes; :func:`analyse` adds the steps they
depend on and runs those alone, in this order. ``score`` writes the scores and their
uncertainty; ``cluster`` the clusters with their stability and map; ``typology validate`` the
agreement (no Monte Carlo, no bootstrap); ``explain`` the SHAP values (no Monte Carlo, no
bootstrap); ``run`` and ``retrain`` everything. Nothing here writes files or talks to MLflow.

Examples
--------
>>> steps_for("validate")
('prepare', 'score', 'cluster', 'validate')
>>> steps_for("score", "uncertainty")
('prepare', 'score', 'uncertainty')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from border_readiness.experiments._cpu import StageClock
from border_readiness.experiments.interpret import ExplainRun, ValidationRun
from border_readiness.experiments.steps import ClusterRun, Prepared

__all__ = ["STEPS", "Analysis", "analyse", "steps_for", "typology_k", "typology_keys"]

#: Every step, in the order it runs.
STEPS = (
    "prepare",
    "score",
    "uncertainty",
    "cluster",
    "stability",
    "validate",
    "explain",
    "embed",
)
#: The steps each step needs first.
_NEEDS = {
    "prepare": (),
    "score": ("prepare",),
    "uncertainty": ("score",),
    "cluster": ("score",),
    "stability": ("cluster",),
    "validate": ("cluster",),
    "explain": ("cluster",),
    "embed": ("cluster",),
}
#: Timing keys of the run summary: a step's time counts under the step it refines.
_TIMING = {
    "prepare": "prepare_s",
    "score": "score_s",
    "uncertainty": "score_s",
    "cluster": "cluster_s",
    "stability": "cluster_s",
    "validate": "validate_s",
    "explain": "explain_s",
    "embed": "embedding_s",
}


def steps_for(*wanted: str) -> tuple[str, ...]:
    """The steps to run for ``wanted``: those and everything they depend on, in order.

    Parameters
    ----------
    *wanted : str
        Names from :data:`STEPS`.

    Returns
    -------
    tuple of str
        A sub-sequence of :data:`STEPS`.

    Examples
    --------
    >>> steps_for("explain")
    ('prepare', 'score', 'cluster', 'explain')
    """
    unknown = [w for w in wanted if w not in _NEEDS]
    if unknown:
        raise ValueError(f"unknown step(s) {unknown}; expected some of {', '.join(STEPS)}")
    todo: set[str] = set()
    stack = list(wanted)
    while stack:
        step = stack.pop()
        if step not in todo:
            todo.add(step)
            stack.extend(_NEEDS[step])
    return tuple(s for s in STEPS if s in todo)


@dataclass
class Analysis:
    """The results of one pass of the pipeline.

    A step that did not run leaves its field None (``validations`` empty).

    ``embedding`` is the 2-D map of the regions, shared by the cluster plots and the card.
    """

    cfg: object
    steps: tuple[str, ...]
    prep: Prepared
    report: object = None
    run: ClusterRun | None = None
    validations: dict[str, ValidationRun] = field(default_factory=dict)
    explanation: ExplainRun | None = None
    embedding: object = None
    timings: dict[str, float] = field(default_factory=dict)
    #: CPU seconds per step, under the keys of ``timings`` (experiments/_cpu.py).
    cpu: dict[str, float] = field(default_factory=dict)


def typology_k(typology, n_regions: int) -> int:
    """The number of clusters to compare with ``typology``.

    The number of types it uses, within the small-n guard ``k <= n // 3`` (and at least 2).

    Parameters
    ----------
    typology : Typology
    n_regions : int

    Returns
    -------
    int

    Examples
    --------
    The 12 border regions lie in four federal districts (Southern, Volga, Ural, Siberian),
    and 4 <= 12 // 3:

    >>> from border_readiness.clustering.typologies import typology
    >>> typology_k(typology("federal_districts"), 12)
    4
    """
    from border_readiness.clustering.models import max_clusters

    return min(max(2, _types_in_use(typology)), max_clusters(n_regions))


def _types_in_use(typology) -> int:
    """How many of the typology's types have at least one region."""
    return len({t for types in typology.assignments.values() for t in types})


def analyse(
    cfg,
    data: pd.DataFrame,
    *,
    data_label: str,
    steps: tuple[str, ...] = STEPS,
    year: int | None = None,
    typologies: dict | None = None,
    ceiling_typologies: dict | None = None,
    clusters: pd.Series | None = None,
    k_from=None,
    progress=None,
) -> Analysis:
    """Run ``steps`` (with the steps they need) of the analysis configured by ``cfg``.

    Parameters
    ----------
    cfg : ExperimentConfig
        What to compute (regions, score, clustering, typologies, seeds); the single-step
        commands pass the config with their command-line options applied.
    data : DataFrame
        The long table.
    data_label : str
        How error messages name the data (a path, or "bundled").
    steps : tuple of str, default all of :data:`STEPS`
        Closed under dependencies with :func:`steps_for`.
    year : int, optional
        Overrides ``cfg.year``.
    typologies : dict, optional
        Name -> Typology to validate against; default ``cfg.typologies``.
    ceiling_typologies : dict, optional
        Expert typologies compared with each other for the agreement ceiling; default
        ``typologies``.
    clusters : Series, optional
        Region -> cluster labels to use instead of the cluster step (``--clusters``).
    k_from : Typology, optional
        Without ``cfg.k``, cluster with :func:`typology_k` of this typology.
    progress : callable, optional
        Called with a short message before each long step.

    Returns
    -------
    Analysis
    """
    from border_readiness.experiments import interpret
    from border_readiness.experiments import steps as st

    say = progress or (lambda _m: None)
    todo = steps_for(*steps)
    seeds = cfg.seeds
    clock = StageClock()
    timings = clock.wall

    def timed(step, func, *args, **kwargs):
        with clock(_TIMING[step]):
            return func(*args, **kwargs)

    prep = timed(
        "prepare",
        st.prepare,
        data,
        data_label=data_label,
        year=year if year is not None else cfg.year,
        regions=cfg.regions,
        score_config=cfg.score,
        catalogue_path=cfg.catalogue,
        profiles_path=cfg.profiles,
        progress=say,
    )
    a = Analysis(cfg, todo, prep, timings=timings, cpu=clock.cpu)
    a.report = timed("score", st.score, prep, progress=say, uncertainty="uncertainty" in todo)
    if "cluster" not in todo:
        return a
    X = st.clustering_matrix(a.report)
    if clusters is not None:
        # The agreement step matches the file's regions with the typology's (and reports the
        # ones it excludes), so the labels are used as given.
        a.run = ClusterRun(X, "from --clusters", int(clusters.nunique()), clusters, pd.DataFrame())
    else:
        k = cfg.k
        if k is None and k_from is not None:
            k = typology_k(k_from, len(X))
            used = _types_in_use(k_from)
            if k < used:
                say(
                    f"note: the typology uses {used} types; clustering with k = {k} "
                    f"(k <= n // 3 for n = {len(X)} regions). Pass --k to override."
                )
        a.run = timed(
            "cluster", st.fit_clusters, X, method=cfg.method, k=k, random_state=seeds.clustering
        )
    if "stability" in todo:
        # Before any typology: do the data show cluster structure at all?
        say(f"structure test: gap statistic and 2 reference nulls, B = {cfg.structure_nulls}")
        a.run = timed(
            "stability",
            st.assess_structure,
            a.run,
            B=cfg.structure_nulls,
            random_state=seeds.structure,
        )
        a.run = timed(
            "stability",
            st.assess_stability,
            a.run,
            B=cfg.bootstrap,
            consensus_reps=cfg.consensus_reps,
            bootstrap_seed=seeds.bootstrap,
            consensus_seed=seeds.consensus,
            progress=say,
            consensus_scheme=cfg.consensus_scheme,
        )
    if "validate" in todo:
        from border_readiness.experiments._region_sets import typed_enough

        asked = typologies is not None  # by the command (typology validate), not the config
        if typologies is None:
            from border_readiness.clustering.typologies import typology

            typologies = typology_keys([typology(entry) for entry in cfg.typologies], say)
        others = typologies if ceiling_typologies is None else ceiling_typologies
        for name, typ in typologies.items():
            last = not a.validations and name == list(typologies)[-1]
            # The card needs one typology at least: the last short one refuses the run.
            hint = (
                ""
                if asked
                else "; no typology in validate.typologies types enough: add one of these regions"
            )
            if not typed_enough(typ, a.run.labels, name, refuse=asked or last, say=say, hint=hint):
                continue
            say(f"agreement with {name}: {cfg.permutations} permutations")
            a.validations[name] = timed(
                "validate",
                interpret.validate,
                typ,
                a.run.labels,
                X,
                others=others,
                n_permutations=cfg.permutations,
                random_state=seeds.permutations,
            )
    if "explain" in todo:
        say("SHAP values of the level scores and of a surrogate of the clusters")
        a.explanation = timed(
            "explain",
            interpret.explain,
            a.report,
            a.run.labels,
            random_state=seeds.surrogate,
            method=a.run.method,
            k=a.run.k,
            null_replicates=cfg.surrogate_null,
        )
    if "embed" in todo:
        from border_readiness.clustering.embedding import embed_2d

        say("2-D map of the regions (PCA below 30 regions; UMAP from 30, compiling with numba)")
        a.embedding = timed("embed", embed_2d, X, random_state=seeds.umap)
    return a


def typology_keys(typologies, say=None) -> dict:
    """The typologies keyed by their own name, made safe as a folder and metric name.

    The key names the ``validate/<key>/`` folder of the results and the ``agreement.<key>.*``
    metrics, so it comes from the typology's ``name``, never from the path it was read from
    (a path like ``../../x/t.toml`` would write outside the results). A name used twice gets
    ``_2``, ``_3``, ... (said through ``say``).

    Parameters
    ----------
    typologies : list of Typology
    say : callable, optional
        Where a renamed duplicate is reported.

    Returns
    -------
    dict
        Key -> Typology, in the order given.

    Examples
    --------
    >>> from border_readiness.clustering.typologies import typology
    >>> list(typology_keys([typology("federal_districts")]))
    ['federal_districts']
    """
    import re

    keys: dict = {}
    for typ in typologies:
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", str(typ.name)).strip("_") or "typology"
        key, n = base, 1
        while key in keys:
            n += 1
            key = f"{base}_{n}"
        if key != typ.name and say is not None:
            say(f"note: typology {typ.name!r} is named {key!r} in the results and metrics")
        keys[key] = typ
    return keys
