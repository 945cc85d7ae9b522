"""Builders of the ``inputs`` cases: files that are not what their name says, degenerate data.

Data, config, typology and region files renamed, truncated or junk, and data with a
zero-variance indicator or a region with no rows in the window.
"""

from __future__ import annotations

import functools
import gzip
import io
from pathlib import Path

import pandas as pd
from _catalogue import builder

from border_readiness.features.dataset import load_dataset

# Two rows of the bundled layout: enough for `data validate`, cheap for every other command.
_SMALL = (
    "region_id,year,indicator,value\n"
    "RU-OMS,2021,population_avg,1858.8\n"
    "RU-ALT,2021,population_avg,2163.7\n"
)


@functools.lru_cache(maxsize=1)
def _bundled() -> pd.DataFrame:
    return load_dataset()


def _small_frame() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(_SMALL))


def _payload(form: str) -> bytes:
    """The small long table as the bytes of ``form``."""
    frame = _small_frame()
    if form == "csv":
        return _SMALL.encode()
    if form == "csv_gz":
        return gzip.compress(_SMALL.encode(), mtime=0)
    if form == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    if form == "parquet_categorical":
        buf = io.BytesIO()
        cats = frame.astype({"region_id": "category", "indicator": "category"})
        cats.to_parquet(buf, index=False)
        return buf.getvalue()
    if form == "xlsx":
        buf = io.BytesIO()
        frame.to_excel(buf, index=False)
        return buf.getvalue()
    if form == "junk":
        # Deterministic binary noise with NUL bytes, as a copied executable or image would be.
        return bytes((i * 131 + 7) % 256 for i in range(4096))
    if form == "xls_ole2":
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    if form == "zip_not_xlsx":
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("data.csv", _SMALL)
        return buf.getvalue()
    if form == "gz_of_junk":
        return gzip.compress(_payload("junk"), mtime=0)
    if form == "cp1251_csv":
        return "region_id,year,indicator,value\nОмская область,2021,population_avg,1858.8\n".encode(
            "cp1251"
        )
    raise ValueError(f"unknown form {form}")


@builder
def inputs_long_file(
    tmp: Path, name: str, form: str = "csv", truncate: float | None = None
) -> dict[str, str]:
    """The small long table as ``form``, saved under ``name`` (``{file}``).

    ``truncate`` keeps that share of the bytes (a download cut short).
    """
    raw = _payload(form)
    if truncate is not None:
        raw = raw[: int(len(raw) * truncate)]
    path = tmp / "in" / name
    path.write_bytes(raw)
    return {"file": str(path)}


@builder
def inputs_folder(tmp: Path, name: str) -> dict[str, str]:
    """An empty folder ``tmp/in/<name>`` where a file is expected (``{file}``)."""
    path = tmp / "in" / name
    path.mkdir()
    return {"file": str(path)}


@builder
def inputs_config(tmp: Path, text: str, encoding: str = "utf-8") -> dict[str, str]:
    """An experiment config ``tmp/in/exp.toml`` holding ``text`` in ``encoding`` (``{file}``)."""
    path = tmp / "in" / "exp.toml"
    path.write_bytes(text.encode(encoding))
    return {"file": str(path)}


@builder
def inputs_config_with(tmp: Path, key: str, name: str, form: str) -> dict[str, str]:
    """A config whose ``key`` (``catalogue``, ``profiles``) names a ``form`` file ``name``."""
    inputs_long_file(tmp, name=name, form=form)
    path = tmp / "in" / "exp.toml"
    path.write_text(f'{key} = "{name}"\n', encoding="utf-8")
    return {"file": str(path)}


@builder
def inputs_zero_variance(tmp: Path, indicator: str = "paved_road_density") -> dict[str, str]:
    """An ``--add`` file giving ``indicator`` one value for every region in 2021 (``{file}``)."""
    data = _bundled()
    rows = data[(data["indicator"] == indicator) & (data["year"] == 2021)]
    rows = rows[["region_id", "year", "indicator"]].assign(value=100.0)
    path = tmp / "in" / "flat.csv"
    rows.to_csv(path, index=False)
    return {"file": str(path)}


@builder
def inputs_region_gap(
    tmp: Path, region: str = "RU-OMS", years: tuple = (2019, 2020, 2021)
) -> dict[str, str]:
    """The bundled data without any row of ``region`` in ``years`` (``{file}``, CSV)."""
    data = _bundled()
    keep = ~((data["region_id"] == region) & data["year"].isin(list(years)))
    path = tmp / "in" / "gap.csv"
    data[keep].to_csv(path, index=False)
    return {"file": str(path)}
