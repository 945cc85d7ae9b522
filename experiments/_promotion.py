"""The promotion decision, settled under the store lock just before the card is written.

Concurrent runs register their versions one at a time (:func:`border_readiness.experiments.
_runs.store_lock`), so the holder of the alias read here is the one the new version would
replace: with the default rule (the newest fit of the latest year takes the alias) the alias
ends on the highest version; a ``retrain`` decision compared with another version than the one
holding the alias now is not applied.
"""

from __future__ import annotations

from dataclasses import replace

__all__ = ["settle"]


def settle(client, cfg, year: int, promotion, default):
    """The promotion to apply, against the version holding the alias now.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client of the store.
    cfg : ExperimentConfig
        Names the model and the alias.
    year : int
        The year the new version was fitted on.
    promotion : Promotion or None
        The caller's decision (``retrain``), or None for ``default``.
    default : callable
        ``default(client, current, year, alias)``: the default rule.

    Returns
    -------
    Promotion
        ``promotion`` unchanged, the default rule's, or ``promotion`` with the alias kept
        where it is when it moved since the comparison.
    """
    from border_readiness.experiments.tracking import registered_version

    current = registered_version(client, cfg.model_name, cfg.alias)
    if promotion is None:
        return default(client, current, year, cfg.alias)
    held = None if current is None else int(current.version)
    if promotion.promote and promotion.against is not None and held != promotion.against:
        return replace(
            promotion,
            promote=False,
            note=f"alias '{cfg.alias}' kept on version {held}: it moved there while this fit "
            f"was compared with version {promotion.against}; run retrain again to compare",
        )
    return promotion
