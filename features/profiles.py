"""Readiness profile types from level scores, by transparent configurable rules.

This is border-readiness's own operationalisation of the three-level model (transport
communication, joint projects, social services) of Roy (2022), not the paper's typology.
The rules live in ``features/data/profiles.toml``; each is a small boolean expression over the
region's level percentiles (0–100 among all Russian subjects), ``strongest`` and ``weakest``.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from border_readiness.errors import UserInputError
from border_readiness.features.catalogue import SCORED_LEVELS

__all__ = ["ProfileRule", "ProfileRuleError", "assign_profiles", "load_profile_rules"]

_NAMES = {*SCORED_LEVELS, "overall", "strongest", "weakest"}


class ProfileRuleError(UserInputError):
    """An invalid profile rule; the message names the file and the type."""


@dataclass(frozen=True)
class ProfileRule:
    """One profile type of ``profiles.toml``: its rule and how to present it.

    Parameters
    ----------
    name : str
        Identifier of the type, as returned by :func:`assign_profiles` (e.g.
        ``"ready_all_levels"``).
    label : str
        Human-readable name for reports; defaults to ``name`` in the file.
    rule : str
        Boolean expression over the level percentiles (0–100), ``overall``, ``strongest`` and
        ``weakest`` (level names), with comparisons, ``and``/``or``/``not``, arithmetic and
        ``min()``/``max()``, e.g. ``"min(transport_communication, social_services) >= 60"``.
    description : str
        What the type means, for reports; may be empty.
    """

    name: str
    label: str
    rule: str
    description: str


def _check(rule: str, where: str) -> ast.Expression:
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as exc:
        raise ProfileRuleError(f"{where}: rule {rule!r}: syntax error ({exc.msg})") from None
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.Not,
        ast.Compare,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.Eq,
        ast.NotEq,
        ast.Name,
        ast.Load,
        ast.Constant,
        ast.Call,
        ast.BinOp,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.USub,
    )
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ProfileRuleError(f"{where}: rule {rule!r}: {type(node).__name__} not allowed")
        if isinstance(node, ast.Name) and node.id not in _NAMES and node.id not in ("min", "max"):
            raise ProfileRuleError(
                f"{where}: rule {rule!r}: unknown name {node.id!r}; "
                f"known: {', '.join(sorted(_NAMES))}"
            )
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
        ):
            raise ProfileRuleError(f"{where}: rule {rule!r}: only min() and max() may be called")
    return tree


def load_profile_rules(path: str | Path | None = None) -> list[ProfileRule]:
    """Load and check the profile rules (default: the shipped ``profiles.toml``).

    Parameters
    ----------
    path : path-like, optional
        A profile rules TOML file with ``[[type]]`` entries (``name``, ``rule``, optional
        ``label`` and ``description``); default the shipped ``features/data/profiles.toml``.

    Returns
    -------
    list of ProfileRule
        In file order, which is the order in which :func:`assign_profiles` tries them.

    Raises
    ------
    ProfileRuleError
        Naming the file and the type: file missing or not TOML, unknown or missing field, a
        rule using a name, call or construct that is not allowed, or no ``[[type]]`` at all.

    Examples
    --------
    >>> [r.name for r in load_profile_rules()][:2]
    ['ready_all_levels', 'low_readiness']
    """
    shipped = resources.files("border_readiness.features") / "data" / "profiles.toml"
    path = Path(path) if path else Path(str(shipped))
    from border_readiness.features._file_kinds import read_user_text

    if not path.exists():
        raise ProfileRuleError(f"{path}: profile rules file not found")
    text = read_user_text(path, ProfileRuleError, expected="a UTF-8 TOML file of profile rules")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileRuleError(f"{path}: not valid TOML ({exc})") from None
    rules = []
    for n, entry in enumerate(raw.get("type", []), start=1):
        where = f"{path.name}, type {entry.get('name', f'#{n}')!r}"
        unknown = set(entry) - {"name", "label", "rule", "description"}
        if unknown:
            raise ProfileRuleError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for field in ("name", "rule"):
            if not entry.get(field):
                raise ProfileRuleError(f"{where}: missing {field!r}")
        _check(entry["rule"], where)
        rules.append(
            ProfileRule(
                entry["name"],
                entry.get("label", entry["name"]),
                entry["rule"],
                entry.get("description", ""),
            )
        )
    if not rules:
        raise ProfileRuleError(f"{path}: no [[type]] entries")
    return rules


def _evaluate(tree: ast.AST, env: dict):
    if isinstance(tree, ast.Expression):
        return _evaluate(tree.body, env)
    if isinstance(tree, ast.Constant):
        return tree.value
    if isinstance(tree, ast.Name):
        return env[tree.id]
    if isinstance(tree, ast.BoolOp):
        values = [_evaluate(v, env) for v in tree.values]
        return all(values) if isinstance(tree.op, ast.And) else any(values)
    if isinstance(tree, ast.UnaryOp):
        v = _evaluate(tree.operand, env)
        return (not v) if isinstance(tree.op, ast.Not) else -v
    if isinstance(tree, ast.BinOp):
        a, b = _evaluate(tree.left, env), _evaluate(tree.right, env)
        return (
            {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(tree.op))
            if not isinstance(tree.op, ast.Div)
            else a / b
        )
    if isinstance(tree, ast.Call):
        fn = min if tree.func.id == "min" else max  # type: ignore[attr-defined]
        return fn(_evaluate(a, env) for a in tree.args)
    if isinstance(tree, ast.Compare):
        left = _evaluate(tree.left, env)
        for op, comp in zip(tree.ops, tree.comparators, strict=True):
            right = _evaluate(comp, env)
            ok = {
                ast.Lt: left < right,
                ast.LtE: left <= right,
                ast.Gt: left > right,
                ast.GtE: left >= right,
                ast.Eq: left == right,
                ast.NotEq: left != right,
            }[type(op)]
            if not ok:
                return False
            left = right
        return True
    raise ProfileRuleError(f"cannot evaluate {ast.dump(tree)}")


def assign_profiles(percentiles: pd.DataFrame, rules: list[ProfileRule] | None = None) -> pd.Series:
    """Assign each region the first profile type whose rule holds.

    Parameters
    ----------
    percentiles : DataFrame
        Regions × the three levels (and optionally ``overall``), each a percentile 0–100.
    rules : list of ProfileRule, optional
        Default the shipped rules.

    Returns
    -------
    Series
        The type name per region; ``unclassified`` when no rule holds.

    Examples
    --------
    >>> p = pd.DataFrame({"transport_communication": [80, 20], "joint_projects": [70, 30],
    ...                   "social_services": [60, 90]}, index=["A", "B"])
    >>> assign_profiles(p).tolist()
    ['ready_all_levels', 'services_led']
    """
    rules = rules or load_profile_rules()
    trees = [(r.name, _check(r.rule, r.name)) for r in rules]
    out = {}
    for rid, row in percentiles.iterrows():
        levels = {lev: float(row[lev]) for lev in SCORED_LEVELS}
        env = {
            **levels,
            "overall": float(row.get("overall", sum(levels.values()) / 3)),
            "strongest": max(levels, key=levels.get),
            "weakest": min(levels, key=levels.get),
        }
        out[rid] = next((name for name, tree in trees if _evaluate(tree, env)), "unclassified")
    return pd.Series(out, name="profile_type")
