"""The parsed copy of the bundled dataset: the same table, never stale, never required."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import border_readiness.features.dataset as dataset
from border_readiness.experiments import _dataset_cache
from border_readiness.experiments._dataset_cache import bundled_dataset, dataset_key


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BORDER_READINESS_CACHE_DIR", str(folder))
    _dataset_cache._read.cache_clear()
    yield folder
    _dataset_cache._read.cache_clear()


@pytest.fixture(scope="module")
def fresh():
    # The reference: the CSV read and validated, without the cache.
    return dataset.load_dataset()


def test_copy_is_made_once_and_equals_the_validated_csv(cache, fresh, monkeypatch):
    first = bundled_dataset()
    copies = list(cache.glob("dataset-*.parquet"))
    assert [p.name for p in copies] == [f"dataset-{dataset_key()}.parquet"]
    pd.testing.assert_frame_equal(first, fresh, check_exact=True)

    def refuse(*_a, **_k):
        raise AssertionError("the CSV was read again although its copy is cached")

    monkeypatch.setattr(dataset, "load_dataset", refuse)
    _dataset_cache._read.cache_clear()
    second = bundled_dataset()
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)
    assert list(second.dtypes) == list(fresh.dtypes)
    second.loc[0, "value"] = -1.0  # a copy per call: the next caller is not affected
    assert bundled_dataset().loc[0, "value"] == fresh.loc[0, "value"]


def test_key_follows_the_data_and_the_code(tmp_path, monkeypatch):
    copy = tmp_path / "features"
    shutil.copytree(
        dataset.bundled_dataset_path().parent.parent,
        copy,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    monkeypatch.setattr(
        dataset, "bundled_dataset_path", lambda: copy / "data" / "regions_long.csv.gz"
    )
    base = dataset_key()
    assert dataset_key() == base  # deterministic
    (copy / "_long_files.py").write_text((copy / "_long_files.py").read_text() + "\n# edit\n")
    edited_code = dataset_key()
    data = copy / "data" / "regions_long.csv.gz"
    data.write_bytes(data.read_bytes() + b"\0")
    edited_data = dataset_key()
    assert len({base, edited_code, edited_data}) == 3


def test_unreadable_copy_is_made_again(cache, fresh):
    cache.mkdir(parents=True)
    broken = cache / f"dataset-{dataset_key()}.parquet"
    broken.write_bytes(b"PAR1 cut short")
    pd.testing.assert_frame_equal(bundled_dataset(), fresh, check_exact=True)
    _dataset_cache._read.cache_clear()
    pd.testing.assert_frame_equal(pd.read_parquet(broken), fresh, check_exact=True)


def test_unwritable_cache_reads_the_csv(tmp_path, monkeypatch, fresh):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("BORDER_READINESS_CACHE_DIR", str(blocker / "cache"))
    _dataset_cache._read.cache_clear()
    pd.testing.assert_frame_equal(bundled_dataset(), fresh, check_exact=True)
    assert blocker.read_text().startswith("a file")
