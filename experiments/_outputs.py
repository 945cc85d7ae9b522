"""Writing a command's outputs so that a failed command leaves nothing half-written.

Everything is computed first, then written under temporary names and renamed into place.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pandas as pd

from border_readiness.features._csv_cells import guard_frame
from border_readiness.features._files import stage_bytes

__all__ = ["OutputSet", "with_region_names"]


class OutputSet:
    """Files of one command, collected in memory and committed to ``out_dir`` at the end.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> out = OutputSet(tempfile.mkdtemp())
    >>> out.csv("scores.csv", pd.DataFrame({"a": [1]}))
    >>> sorted(p.name for p in out.commit())
    ['scores.csv']
    """

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        self._files: dict[str, bytes] = {}

    def bytes(self, name: str, payload: bytes) -> None:
        self._files[name] = payload

    def text(self, name: str, text: str) -> None:
        self._files[name] = text.encode("utf-8")

    def csv(self, name: str, frame: pd.DataFrame, **kwargs) -> None:
        """Collect a table as CSV; a ``region_id`` column gets ``region_name`` right after it.

        Text cells a spreadsheet would run as formulas are guarded with a leading ``'``
        (:mod:`border_readiness.features._csv_cells`); numbers are written as they are.
        """
        # Text a spreadsheet would run as a formula gets a leading ' (features/_csv_cells.py).
        frame = guard_frame(with_region_names(frame))
        buf = io.StringIO()
        frame.to_csv(buf, index=False, lineterminator="\n", float_format="%.15g", **kwargs)
        self.text(name, buf.getvalue())

    def json(self, name: str, obj) -> None:
        self.text(name, json.dumps(obj, ensure_ascii=False, indent=1, default=_jsonable) + "\n")

    def figure(self, name: str, fig) -> None:
        """Collect a matplotlib figure as a PNG; the figure is closed."""
        from border_readiness.experiments._plots import figure_png

        self.bytes(name, figure_png(fig))

    def commit(self) -> list[Path]:
        """Write every collected file, all or none.

        All are staged beside their final names first, then renamed into place, so a failure
        while writing leaves none of them.

        Returns
        -------
        list of Path
            The files written.
        """
        staged: list[tuple[Path, Path]] = []
        try:
            for name, payload in self._files.items():
                final = self.out_dir / name
                staged.append((stage_bytes(final, payload), final))
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise
        for tmp, final in staged:
            os.replace(tmp, final)
        return [final for _, final in staged]


def with_region_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with the English ``region_name`` inserted right after its ``region_id`` column.

    A table without a ``region_id`` column, or with ``region_name`` already, is returned
    unchanged; an id the registry does not know gets an empty name.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        A copy when a column was added, else ``frame`` itself.

    Examples
    --------
    >>> import pandas as pd
    >>> with_region_names(pd.DataFrame({"region_id": ["RU-OMS"], "x": [1]})).columns.tolist()
    ['region_id', 'region_name', 'x']
    """
    if "region_id" not in frame.columns or "region_name" in frame.columns:
        return frame
    from border_readiness.features.regions import region_table

    names = region_table()["name_en"]
    out = frame.copy()
    where = list(out.columns).index("region_id") + 1
    out.insert(where, "region_name", out["region_id"].map(names).fillna("").astype(str))
    return out


def _jsonable(obj):
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
