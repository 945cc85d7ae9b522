"""The validated content of a card: :class:`CardData`."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from border_readiness.experiments.card._examples import _example_dict  # noqa: F401 (doctests)
from border_readiness.experiments.card._validate import _check_field, _check_figures, _fail
from border_readiness.experiments.card.schema import (
    _SCHEMA,
    _SECTION_NAMES,
    PERSON_FIELDS,
    CardDataError,
)

__all__ = ["CardData"]


@dataclass(frozen=True)
class CardData:
    """Validated content of a model card and its datasheet.

    Each section argument is a dict following :func:`describe_schema` (the full, doctested
    schema); ``figures`` maps a figure name to PNG bytes. Construction validates and copies the
    input into plain Python values (tuples become lists, numpy scalars Python numbers, NaN
    ``None``, DataFrames lists of records), so the instance equals its own JSON round trip.
    Treat the section dicts as read-only.

    Only the person fields (:data:`PERSON_FIELDS`) may be ``None`` or absent; they render as
    ``TODO:`` marks. Any other missing or ill-typed value raises :class:`CardDataError`.

    Parameters
    ----------
    summary : dict
        The findings on one screen (headline scores, agreement, stability, drivers, small-n
        caveat), rendered first.
    model_details, intended_use, factors, metrics, evaluation_data, training_data, \
quantitative_analyses, caveats_and_recommendations, datasheet : dict
        The sections of Mitchell et al. (2019), then the datasheet of Gebru et al. (2021).
    ethical_considerations : list of str
        One bullet per consideration.
    figures : dict of str to bytes, optional
        PNG images; names become ``figures/<name>.png`` in the Markdown.

    Examples
    --------
    >>> data = CardData.from_dict(_example_dict())
    >>> data.missing_person_fields()
    ('model_details.licence', 'model_details.owner', 'model_details.reviewed_by', \
'intended_use.sign_off')
    >>> filled = data.with_person_fields({"model_details.owner": "Analyst <a@example.org>"})
    >>> filled.model_details["owner"], len(filled.missing_person_fields())
    ('Analyst <a@example.org>', 3)
    >>> CardData.from_dict(data.to_dict()) == data
    True
    """

    summary: Mapping[str, Any]
    model_details: Mapping[str, Any]
    intended_use: Mapping[str, Any]
    factors: Mapping[str, Any]
    metrics: Mapping[str, Any]
    evaluation_data: Mapping[str, Any]
    training_data: Mapping[str, Any]
    quantitative_analyses: Mapping[str, Any]
    ethical_considerations: Sequence[str]
    caveats_and_recommendations: Mapping[str, Any]
    datasheet: Mapping[str, Any]
    figures: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check every section against the schema and normalise it; check the figures."""
        for name, spec in _SCHEMA.fields:
            object.__setattr__(self, name, _check_field(name, spec, getattr(self, name)))
        object.__setattr__(self, "figures", _check_figures(self.figures))
        # The typed model (and so the exported JSON Schema) must accept what _validate did.
        _check_model(self.to_dict())

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], figures: Mapping[str, bytes] | None = None
    ) -> CardData:
        """Build from a dict with the section names as keys (e.g. a parsed ``MODEL_CARD.json``).

        Parameters
        ----------
        data : Mapping
            Exactly the card's sections (``summary``, ``model_details``, ``intended_use``,
            ..., ``datasheet``) by name, each as the schema describes it (a card made before
            the summary existed may lack it).
        figures : Mapping of str to bytes, optional
            PNG bytes by figure name (the file stem), e.g. read from the run's
            ``model_card/figures/``; None is no figures.

        Returns
        -------
        CardData
            The validated card.

        Raises
        ------
        CardDataError
            A section is missing or unknown, or a field does not fit the schema; the message
            names the dotted path of the field.

        Examples
        --------
        >>> CardData.from_dict({"model_details": {}})  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        border_readiness.experiments.card.schema.CardDataError: card data: missing section(s)
        intended_use, \
factors, metrics, evaluation_data, training_data, quantitative_analyses, ethical_considerations, \
caveats_and_recommendations, datasheet
        """
        if not isinstance(data, Mapping):
            raise _fail("card data", "a dict of sections", data)
        unknown = sorted(set(data) - set(_SECTION_NAMES), key=str)
        if unknown:
            raise CardDataError(
                f"card data: unknown section {unknown[0]!r}; expected {', '.join(_SECTION_NAMES)}"
            )
        missing = [n for n in _SECTION_NAMES if n not in data and n != "summary"]
        if missing:
            raise CardDataError(f"card data: missing section(s) {', '.join(missing)}")
        data = _with_summary(_with_map_method(data))
        return cls(**{n: data[n] for n in _SECTION_NAMES}, figures=dict(figures or {}))

    def to_dict(self) -> dict[str, Any]:
        """The sections as plain JSON-ready values (figures excluded), a deep copy.

        Returns
        -------
        dict
            Section name -> its content, as :meth:`from_dict` accepts it back.

        Examples
        --------
        >>> sorted(CardData.from_dict(_example_dict()).to_dict())[:3]
        ['caveats_and_recommendations', 'datasheet', 'ethical_considerations']
        """
        return {
            f.name: copy.deepcopy(getattr(self, f.name))
            for f in fields(self)
            if f.name != "figures"
        }

    def missing_person_fields(self) -> tuple[str, ...]:
        """Dotted paths of the person-only fields still ``None`` (they render as ``TODO:``).

        Returns
        -------
        tuple of str
            Such as ``"model_details.owner"``, in the order of ``PERSON_FIELDS``; empty when
            a person has filled in every one.
        """
        return tuple(p for p in PERSON_FIELDS if self._get(p) is None)

    def with_person_fields(self, values: Mapping[str, str | None]) -> CardData:
        """A copy with person-only fields set, e.g. ``{"model_details.owner": "..."}``.

        Parameters
        ----------
        values : Mapping of str to str or None
            Dotted path of a person-only field (``model_details.licence``,
            ``model_details.owner``, ``model_details.reviewed_by``, ``intended_use.sign_off``)
            -> its text, or None to leave it a ``TODO:``.

        Returns
        -------
        CardData
            A new, validated card; this one is unchanged.

        Raises
        ------
        CardDataError
            A path is not a person-only field.

        Examples
        --------
        >>> card = CardData.from_dict(_example_dict())
        >>> card.with_person_fields({"metrics.pac": 0.1})  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        border_readiness.experiments.card.schema.CardDataError: card data: metrics.pac is not a
        person field; \
expected one of model_details.licence, model_details.owner, model_details.reviewed_by, \
intended_use.sign_off
        """
        data = self.to_dict()
        for path, value in values.items():
            if path not in PERSON_FIELDS:
                raise CardDataError(
                    f"card data: {path} is not a person field; expected one of "
                    f"{', '.join(PERSON_FIELDS)}"
                )
            section, name = path.split(".")
            data[section][name] = value
        return CardData.from_dict(data, figures=self.figures)

    def _get(self, path: str) -> Any:
        section, name = path.split(".")
        return getattr(self, section).get(name)


def _with_map_method(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A card recorded before the 2-D map's method was named says so rather than fail."""
    qa = data["quantitative_analyses"]
    if not isinstance(qa, Mapping) or "map_method" in qa:
        return data
    said = "Not recorded: the card was made before cards named the map's method."
    qa = {**qa, "map_method": said}
    return {**data, "quantitative_analyses": qa}


def _with_summary(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A card recorded before the summary existed says so rather than fail (tables empty)."""
    if "summary" in data:
        return data
    said = "Not recorded: the card was made before cards had a summary."
    return {**data, "summary": {"small_n": said}}


def _check_model(card: dict[str, Any]) -> None:
    """Validate the JSON form of the card with the pydantic model; one line on failure."""
    import json

    from pydantic import ValidationError

    from border_readiness.experiments.card._model import card_model

    try:
        card_model().model_validate_json(json.dumps(card, allow_nan=False))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CardDataError(f"card data: {where}: {first['msg']}") from None
