"""Territories kept apart: a figure a footnote says includes another subject (issue 14, item 3)."""

import dataclasses
import math

import pandas as pd
import pytest
from conftest import make_rosstat_workbook

from border_readiness.features.catalogue import load_catalogue
from border_readiness.features.dataset import load_dataset
from border_readiness.features.indicators import compile_indicators
from border_readiness.features.regions import region_table
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources.rosstat import read_rosstat_table
from border_readiness.features.sources.rosstat_footnotes import (
    named_subject,
    scan_bundle_footnotes,
    sheet_footnotes,
)
from border_readiness.features.territories import keep_apart, kept_apart_cells

_17_8 = "Раздел 17 - Информационные и коммуникационные технологии.xlsx"


def _book(tmp_path, body, notes, years=(1999, 2000, 2001)):
    rows = [
        [None],
        ["17. ИНФОРМАЦИОННЫЕ И КОММУНИКАЦИОННЫЕ ТЕХНОЛОГИИ"],
        ["17.8. ЧИСЛО АБОНЕНТСКИХ УСТРОЙСТВ на 1000 человек населения"],
        ["(на конец года; штук)"],
        [None, *years],
        *body,
        ["¾¾¾¾¾"],
        *[[n] for n in notes],
    ]
    return make_rosstat_workbook(tmp_path / "s17.xlsx", "17.8.", rows)


def test_synthetic_inclusion_moves_the_figure_to_the_aggregate(tmp_path):
    # Hand-built: Moscow's row carries footnote 2 "from 2000 including Moscow Oblast"; 1999 is
    # before the note and stays Moscow's own; the oblast has no figure from 2000 on.
    book = _book(
        tmp_path,
        [
            ["Московская область", 5, "...", "..."],
            ["г. Москва2)", 10, 30, 40],
            ["Омская область", 1, 2, 3],
        ],
        ["1) Без учета итогов ВПН-2020.", "2) С 2000 г. - включая данные по Московской области."],
    )
    d = read_rosstat_table(book, "17.8.", indicator="mob").data.set_index(["region_id", "year"])
    assert d.loc[("RU-MOW", 1999), "value"] == 10
    assert ("RU-MOW", 2000) not in d.index and ("RU-MOW", 2001) not in d.index
    assert d.loc[("RU-MOW+RU-MOS", 2000), "value"] == 30
    assert d.loc[("RU-MOW+RU-MOS", 2001), "value"] == 40
    assert "включая данные по Московской области" in d.loc[("RU-MOW+RU-MOS", 2001), "note"]
    assert d.loc[("RU-MOS", 1999), "value"] == 5  # before the note: its own figure
    assert math.isnan(d.loc[("RU-MOS", 2000), "value"])
    assert d.loc[("RU-MOS", 2000), "note"].endswith(
        "counted in RU-MOW+RU-MOS (footnote 2): С 2000 г. - включая данные по Московской области.)"
    )
    assert d.loc[("RU-OMS", 2001), "value"] == 3  # other rows untouched


def test_synthetic_until_year_and_unmarked_note(tmp_path):
    # "До 2001 г." applies to the years before 2001 only; a census note is no inclusion.
    book = _book(
        tmp_path,
        [["Ленинградская область1)", 7, 8, 9], ["г. Санкт-Петербург", "...", "...", 4]],
        ["1) До 2001 г. - включая данные по г. Санкт-Петербургу. 2) С учетом итогов ВПН."],
    )
    d = read_rosstat_table(book, "17.8.").data.set_index(["region_id", "year"])
    assert d.loc[("RU-SPE+RU-LEN", 1999), "value"] == 7
    assert d.loc[("RU-SPE+RU-LEN", 2000), "value"] == 8
    assert d.loc[("RU-LEN", 2001), "value"] == 9
    assert d.loc[("RU-SPE", 2001), "value"] == 4
    assert ("RU-LEN", 2000) not in d.index


def test_included_subject_with_its_own_figure_is_refused(tmp_path):
    book = _book(
        tmp_path,
        [["Московская область", 5, 6, 7], ["г. Москва2)", 10, 30, 40]],
        ["2) С 2000 г. - включая данные по Московской области."],
    )
    with pytest.raises(SourceFormatError, match="RU-MOS has its own figures for \\[2000, 2001\\]"):
        read_rosstat_table(book, "17.8.")


def test_unregistered_aggregate_is_refused_with_the_fix(tmp_path):
    book = _book(
        tmp_path,
        [["Омская область2)", 1, 2, 3], ["Томская область", "...", "...", "..."]],
        ["2) Включая данные по Томской области."],
    )
    with pytest.raises(SourceFormatError, match="register the aggregate 'RU-OMS\\+RU-TOM'"):
        read_rosstat_table(book, "17.8.")


def test_footnotes_split_and_subjects_named():
    rows = [("x", 1), ("___",), ("1) Одна. 2) Включая данные по Республике Крым.",), ("3) Три.",)]
    assert sheet_footnotes(rows) == {
        "1": "Одна.",
        "2": "Включая данные по Республике Крым.",
        "3": "Три.",
    }
    assert named_subject("включая данные по г. Севастополю") == "RU-SEV"
    assert named_subject("До 2005 г. – включая данные по Чеченской Республике.") == "RU-CE"
    assert named_subject("Данные пересчитаны с учетом итогов ВПН-2020.") is None


def test_aggregate_kind_is_registered():
    kinds = region_table()["kind"]
    for rid in ("RU-MOW+RU-MOS", "RU-SPE+RU-LEN", "RU-CR+RU-SEV", "RU-IN+RU-CE"):
        assert kinds[rid] == "subjects_combined"
        for member in rid.split("+"):
            assert kinds[member] == "subject"


def test_real_17_8_moscow_with_its_oblast(raw_root):
    t = read_rosstat_table(raw_root / "rosstat_regions_of_russia_2023" / _17_8, "17.8.")
    d = t.data.set_index(["region_id", "year"])
    # The published Moscow row, 2000: 117.3 (read off the sheet), now under the aggregate.
    assert d.loc[("RU-MOW+RU-MOS", 2000), "value"] == pytest.approx(117.3)
    assert d.loc[("RU-SPE+RU-LEN", 2000), "value"] == pytest.approx(54.8)
    assert "RU-MOW" not in set(t.data["region_id"]) and "RU-SPE" not in set(t.data["region_id"])
    oblast = t.data[t.data["region_id"] == "RU-MOS"]
    assert len(oblast) == len(t.years) and oblast["value"].isna().all()
    assert oblast["note"].str.contains("counted in RU-MOW+RU-MOS", regex=False).all()
    assert d.loc[("RU-MOW+RU-MOS", 2021), "note"].endswith(
        "С 2000 г. - включая данные по Московской области."
    )


def test_scan_finds_17_8(raw_root):
    scan = scan_bundle_footnotes(raw_root)
    found = scan[(scan["table"] == "17.8.") & scan["territorial"]]
    pairs = set(zip(found["rows"], found["included"], strict=True))
    assert pairs == {("RU-MOW", "RU-MOS"), ("RU-SPE", "RU-LEN")}
    # A census recount ("с учетом итогов ВПН-2020") is listed by its wording but is no inclusion.
    census = scan[scan["footnote"].str.contains("ВПН-2020", regex=False)]
    assert len(census) and not census["territorial"].any()


def test_bundled_17_8_not_imputed_for_covered_subjects():
    data = load_dataset()
    for rid in ("RU-MOS", "RU-MOW", "RU-LEN", "RU-SPE"):
        own = data[(data.region_id == rid) & (data.indicator == "mobile_subscriptions_per_1000")]
        assert own["value"].isna().all()
    # Since issue 14's revision 17.8 is a context indicator (weight 0): the covered subjects
    # keep a missing cell there but are scored. Scored, as before the revision, it refuses them.
    shipped = compile_indicators(data, year=2021)
    assert not {"RU-MOS", "RU-MOW", "RU-LEN", "RU-SPE"} & set(shipped.refused["region_id"])
    assert shipped.matrix.loc[["RU-MOS", "RU-LEN"], "mobile_subscriptions_per_1000"].isna().all()
    catalogue = [
        dataclasses.replace(i, level="transport_communication", weight=1.0)
        if i.id == "mobile_subscriptions_per_1000"
        else i
        for i in load_catalogue()
    ]
    compiled = compile_indicators(data, year=2021, catalogue=catalogue, keep_apart=False)
    kept = keep_apart(compiled, data)
    default = compile_indicators(data, year=2021, catalogue=catalogue)
    assert kept.refused.equals(default.refused)  # the default keeps apart
    cells = kept_apart_cells(compiled, data)
    mob = cells[cells["feature"] == "mobile_subscriptions_per_1000"]
    assert set(mob["region_id"]) == {"RU-MOS", "RU-MOW", "RU-LEN", "RU-SPE"}
    imp = kept.imputations
    assert (
        imp[imp["indicator"] == "mobile_subscriptions_per_1000"]["region_id"]
        .isin(["RU-MOS", "RU-MOW", "RU-LEN", "RU-SPE"])
        .sum()
        == 0
    )
    assert kept.matrix.loc[["RU-MOS", "RU-LEN"], "mobile_subscriptions_per_1000"].isna().all()
    # They stay reference rows of the matrix but cannot be scored on their own figures.
    refused = kept.refused.set_index("region_id")["missing_features"]
    for rid in ("RU-MOS", "RU-MOW", "RU-LEN", "RU-SPE"):
        assert rid in kept.matrix.index
        assert refused[rid] == "mobile_subscriptions_per_1000"
    # The four of 17.8; Crimea and Sevastopol (16.3 railways) are refused by the compiler
    # already (no polygon in the 2013 layer, so no distances and no border length).
    assert {"RU-CR", "RU-SEV"} <= set(compiled.refused["region_id"])
    assert len(kept.refused) == len(compiled.refused) + 4
    # Nothing else changes: every other cell and imputation is as compiled.
    other = kept.matrix.drop(columns=set(cells["feature"]))
    pd.testing.assert_frame_equal(other, compiled.matrix.drop(columns=set(cells["feature"])))
    dropped = len(compiled.imputations) - len(kept.imputations)
    assert dropped == len(
        compiled.imputations.merge(
            cells.rename(columns={"feature": "indicator"})[["region_id", "indicator"]]
        )
    )


def test_imputation_log_of_a_fit_has_no_covered_subject():
    from border_readiness.experiments.steps import prepare
    from border_readiness.features.imputation_log import imputation_log

    prep = prepare(load_dataset())
    log = imputation_log(prep.compiled, prep.regions, list(prep.compiled.matrix.columns))
    mob = log[log["indicator"] == "mobile_subscriptions_per_1000"]
    assert not mob["region_id"].isin(["RU-MOS", "RU-LEN", "RU-MOW", "RU-SPE"]).any()
