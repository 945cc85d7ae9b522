r"""What the served model says about input it cannot score, and the example it is logged with.

``mlflow models serve`` turns an ``MlflowException`` raised in ``predict`` into an HTTP response
with the exception's error code (``INVALID_PARAMETER_VALUE`` is 400) and its message, but first
rewrites the message as ``"Failed to predict data '<the whole input frame>'. \nError: ..."``
(``mlflow.pyfunc.scoring_server.invocations``): many lines, most of them the user's own data.
Any other exception becomes a 400 whose body carries the Python stack trace. The error type here
keeps its one-line message through that rewrite, so the client reads one line naming the
regions or year that cannot be scored and nothing else.
"""

from __future__ import annotations

import functools

import pandas as pd

__all__ = ["check_years", "input_example", "unscorable", "unscorable_input_error"]

# Regions named in a message before "… (N regions)".
_SHOW = 5
# Years of history the example carries before the scored year: the catalogue's longest
# window (5-year growth rates) plus the three-year carry-forward of a late series.
_HISTORY = 5


@functools.cache
def unscorable_input_error() -> type:
    """The exception type ``predict`` raises for input it cannot score (built on first use).

    Returns
    -------
    type
        A subclass of ``mlflow.exceptions.MlflowException`` with error code
        ``INVALID_PARAMETER_VALUE`` (HTTP 400) whose ``message`` ignores the scoring server's
        rewrite, so the response body holds the one-line message only.

    Examples
    --------
    >>> err = unscorable_input_error()("cannot score 2030: the input has years 2000–2023")
    >>> err.get_http_status_code(), err.message
    (400, 'cannot score 2030: the input has years 2000–2023')
    """
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    class UnscorableInputError(MlflowException):
        """Input the served model cannot score; its message is one line for the client."""

        def __init__(self, message: str):
            self._one_line = " ".join(str(message).split())
            super().__init__(self._one_line, error_code=INVALID_PARAMETER_VALUE)

        @property
        def message(self) -> str:
            return self._one_line

        @message.setter
        def message(self, value: str) -> None:
            # MlflowException.__init__ sets the message; the scoring server then prefixes the
            # whole input frame to it. Only the first assignment is kept.
            if not hasattr(self, "_one_line"):
                self._one_line = value

    return UnscorableInputError


def _regions_text(ids: list[str]) -> str:
    ids = sorted(set(ids))
    shown = ", ".join(ids[:_SHOW])
    return shown if len(ids) <= _SHOW else f"{shown} … ({len(ids)} regions)"


def unscorable(data: pd.DataFrame, year: int | None, reason: Exception | str) -> Exception:
    """The one-line error for input the model cannot score, naming its regions and year.

    Parameters
    ----------
    data : pandas.DataFrame
        The input as received (long layout).
    year : int or None
        The year asked for; None for the latest complete year.
    reason : Exception or str
        Why it cannot be scored (the first line of an exception's message is used).

    Returns
    -------
    Exception
        An instance of :func:`unscorable_input_error`, to be raised.

    Examples
    --------
    >>> frame = pd.DataFrame({"region_id": ["RU-OMS"], "year": [2021]})
    >>> unscorable(frame, 2030, "no data").message
    'cannot score 2030 for RU-OMS: no data'
    """
    first = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    ids = data["region_id"].astype(str).tolist() if "region_id" in data else []
    what = f"{year}" if year else "the latest complete year"
    where = f" for {_regions_text(ids)}" if ids else ""
    return unscorable_input_error()(f"cannot score {what}{where}: {first}")


def check_years(data: pd.DataFrame, year: int | None) -> None:
    """Refuse a year the input holds no row of, before any work.

    Parameters
    ----------
    data : pandas.DataFrame
        The input (long layout).
    year : int or None
        The year asked for.

    Raises
    ------
    UnscorableInputError
        When ``year`` is given and the input has no row for it; the message gives the
        input's years.

    Examples
    --------
    >>> check_years(pd.DataFrame({"region_id": ["RU-OMS"], "year": [2021]}), 2021)
    """
    if not year or "year" not in data or data.empty:
        return
    years = pd.to_numeric(data["year"], errors="coerce").dropna().astype(int)
    if int(year) not in set(years):
        span = f"{years.min()}–{years.max()}" if len(years) else "none"
        raise unscorable(data, year, f"the input has no row for {year} (its years: {span})")


def input_example(data: pd.DataFrame, state: dict) -> tuple[pd.DataFrame, dict]:
    """A small real input the model scores: the series it reads, for its own regions.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table the model was fitted on.
    state : dict
        The frozen state (``year``, ``regions``, ``catalogue``).

    Returns
    -------
    (pandas.DataFrame, dict)
        The rows of Russia (``RU`` and ``RU-SUBJECTS-TOTAL``, the national references), of
        the fitted regions and of every Kazakh unit (read by the cross-border indicators),
        for the series the catalogue's formulas read, in the fitted
        year and the :data:`_HISTORY` years before, with the columns ``region_id, year,
        indicator, value, status`` (the status tells a structural zero from a gap); and the
        params ``{"year": <fitted year>}``. Imputation and growth rates see only these
        regions, so the scores differ from those of the whole country's data: the example
        shows the request's shape.

    Examples
    --------
    >>> frame, params = input_example(load_dataset(), state)  # doctest: +SKIP
    """
    from border_readiness.features.catalogue import formula_series, parse_formula

    year = int(state["year"])
    series = set().union(*(formula_series(parse_formula(e["formula"])) for e in state["catalogue"]))
    # The Kazakh units too: the cross-border indicators read the neighbours' series.
    kazakh = data["region_id"].str.startswith("KZ")
    keep = (
        (data["region_id"].isin(["RU", "RU-SUBJECTS-TOTAL", *state["regions"]]) | kazakh)
        & data["indicator"].isin(series)
        & data["year"].between(year - _HISTORY, year)
    )
    cols = ["region_id", "year", "indicator", "value", "status"]
    frame = data.loc[keep, cols].sort_values(cols[:3]).reset_index(drop=True)
    return frame, {"year": year}
