"""Writing a command's outputs so that a failed command leaves nothing half-written.

Everything is computed first, then written under temporary names and renamed into place.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pandas as pd

from border_readiness.features._files import stage_bytes

__all__ = ["OutputSet"]


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


def _jsonable(obj):
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
