"""Handlers of ``border-readiness typology list`` and ``typology check``.

Private to the command line: :mod:`border_readiness.experiments.cli` imports them into its
parser (``build_parser``) and its error policy applies to them.
"""

from __future__ import annotations

import argparse

from border_readiness.errors import UsageError

#: What ``typology validate --k`` does (pipeline.typology_k, steps.fit_clusters).
VALIDATE_K_HELP = (
    "number of clusters this command fits (by --method) and compares with the typology; "
    "default: the config's [cluster] k, else the number of types the typology assigns "
    "regions to, at least 2 and at most n // 3 (4 for the 12 border regions); a given --k "
    "above n // 3 is refused (3 regions per cluster at least). Not used with --clusters: "
    "the file's clusters are compared as they are"
)


def _cmd_typology_list(args: argparse.Namespace) -> int:
    """List the shipped typologies (``typology list``); each name works wherever a file does."""
    from border_readiness.clustering.typologies import load_typology, shipped_typologies

    rows = []
    for name, path in shipped_typologies().items():
        t = load_typology(path)
        regions = "template" if t.template else str(len(t.assignments))
        rows.append((name, t.origin, t.classifies, regions, t.title))
    width = max(len(r[0]) for r in rows)
    print(f"{'name':{width}}  {'origin':6}  {'classifies':15}  {'regions':>8}  title")
    for name, origin, classifies, regions, title in rows:
        print(f"{name:{width}}  {origin:6}  {classifies:15}  {regions:>8}  {title}")
    return 0


def _cmd_typology_check(args: argparse.Namespace) -> int:
    """Check a typology file and explain how to fill a template (``typology check``)."""
    from border_readiness.clustering.typologies import check_typology

    result = check_typology(args.file)
    if not result.ok:
        # The file could not be loaded: the checker's message is the one-line error.
        raise UsageError(result.messages[0] if result.messages else f"{args.file}: invalid")
    print(
        f"{args.file}: {'OK' if result.ok else 'problems found'} — {result.n_types} types, "
        f"{result.n_regions} regions assigned"
    )
    for message in result.messages:
        print(f"  {message}")
    if result.how_to_fill:
        print(result.how_to_fill)
    return 0
