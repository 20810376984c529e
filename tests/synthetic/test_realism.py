"""The realism measures: PSI against the real profiles, and the relationships."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from loan_default.synthetic import generate_loan_data
from loan_default.synthetic.realism import (
    QUARTILE_COLUMNS,
    Boundary,
    ReferenceProfiles,
    TableProfile,
    column_psi,
    compare_to_profile,
    correlations,
    load_reference_profiles,
    measure_all,
    profile_psi,
    quartile_boundaries,
    relationships,
)

ROWS = 20_000


@pytest.fixture(scope="module")
def profiles() -> ReferenceProfiles:
    return load_reference_profiles()


def sample_at_quartiles(
    table: TableProfile, column: str, rows: int = ROWS
) -> pd.Series:
    """Values spread evenly inside each real quartile interval, with the real
    missing share: the sample the profile describes exactly."""
    row = table.row(column)
    quartiles = row[list(QUARTILE_COLUMNS)].to_numpy(dtype="float64")
    missing = round(rows * float(row["missing_share"]))
    per_interval = (rows - missing) // 4
    # Midpoints of equal slices: strictly inside each interval, never on an edge.
    offsets = (np.arange(per_interval) + 0.5) / per_interval
    values = np.concatenate(
        [
            low + offsets * (high - low)
            for low, high in zip(quartiles, quartiles[1:], strict=False)
        ]
    )
    return pd.Series(np.concatenate([values, np.full(missing, np.nan)]))


def sample_of_counts(table: TableProfile, column: str, rows: int = ROWS) -> pd.Series:
    """Levels in the proportions of the real value counts and missing share (the
    counts' own missing row where they have one, else the profile's)."""
    counts = table.categories.loc[table.categories["column"] == column]
    levels = counts.dropna(subset=["value"])
    if len(levels) < len(counts):
        shares = levels["count"] / counts["count"].sum()
    else:
        present = 1.0 - float(table.row(column)["missing_share"])
        shares = levels["count"] / levels["count"].sum() * present
    repeats = np.round(shares.to_numpy() * rows).astype(int)
    values = np.repeat(levels["value"].astype(str).to_numpy(), repeats)
    missing = rows - repeats.sum()
    return pd.Series([*values, *([None] * missing)], dtype="string")


@pytest.mark.parametrize(
    "column", ["EXT_SOURCE_3", "AMT_CREDIT", "DAYS_BIRTH", "OWN_CAR_AGE"]
)
def test_a_sample_at_the_real_quartiles_has_psi_near_zero(profiles, column):
    table = profiles.application
    result = column_psi(sample_at_quartiles(table, column), column, table)
    assert result["exact_shares"]
    assert result["psi"] < 1e-3


def test_the_bins_of_a_quartile_sample_hold_a_quarter_of_the_present_rows(profiles):
    table = profiles.application
    bins = compare_to_profile(
        sample_at_quartiles(table, "EXT_SOURCE_1"), "EXT_SOURCE_1", table
    )
    present = 1.0 - float(table.row("EXT_SOURCE_1")["missing_share"])
    assert bins.reference[:-1] == pytest.approx([present / 4] * 4)
    assert bins.reference[-1] == pytest.approx(0.5638, abs=1e-4)
    assert bins.synthetic == pytest.approx(bins.reference, abs=1e-3)


@pytest.mark.parametrize("shift", [0.15, -0.15])
def test_a_shifted_sample_has_a_large_psi(profiles, shift):
    table = profiles.application
    shifted = sample_at_quartiles(table, "EXT_SOURCE_3") + shift
    assert column_psi(shifted, "EXT_SOURCE_3", table)["psi"] > 0.25


def test_the_psi_grows_with_the_shift(profiles):
    table = profiles.application
    sample = sample_at_quartiles(table, "EXT_SOURCE_3")
    psi = [
        column_psi(sample + shift, "EXT_SOURCE_3", table)["psi"]
        for shift in (0.0, 0.05, 0.1, 0.15)
    ]
    assert psi == sorted(psi)
    assert psi[0] < 1e-3 < psi[1]


def test_more_missing_values_alone_raise_the_psi(profiles):
    table = profiles.application
    values = sample_at_quartiles(table, "EXT_SOURCE_2")
    values.iloc[: ROWS // 5] = np.nan
    result = column_psi(values, "EXT_SOURCE_2", table)
    assert result["worst_bin"] == "missing"
    assert result["psi"] > 0.25


def test_a_sample_of_the_real_value_counts_has_psi_near_zero(profiles):
    table = profiles.application
    for column in ("OCCUPATION_TYPE", "NAME_EDUCATION_TYPE", "WALLSMATERIAL_MODE"):
        result = column_psi(sample_of_counts(table, column), column, table)
        assert result["psi"] < 1e-3, column


def test_levels_the_real_data_lacks_go_to_the_other_bin(profiles):
    table = profiles.application
    values = sample_of_counts(table, "NAME_CONTRACT_TYPE")
    values.iloc[: ROWS // 4] = "Mortgage"
    bins = compare_to_profile(values, "NAME_CONTRACT_TYPE", table)
    other = bins.labels.index("other")
    assert bins.reference[other] == 0.0
    assert bins.synthetic[other] == pytest.approx(0.25)
    assert column_psi(values, "NAME_CONTRACT_TYPE", table)["worst_bin"] == "other"


def test_a_flag_uses_its_exact_share_of_ones(profiles):
    table = profiles.application
    ones = round(ROWS * 0.710023)
    values = pd.Series([1] * ones + [0] * (ROWS - ones))
    result = column_psi(values, "FLAG_DOCUMENT_3", table)
    assert result["exact_shares"]
    assert result["psi"] < 1e-4
    flipped = column_psi(1 - values, "FLAG_DOCUMENT_3", table)
    assert flipped["psi"] > 0.25


def test_tied_quartiles_only_bound_the_point_mass():
    # A count that is 0 for at least half the rows and at most 1 for 75%.
    boundaries = quartile_boundaries(np.array([0.0, 0.0, 0.0, 1.0, 19.0]))
    assert boundaries[:2] == [
        Boundary(0.0, False, 0.0, 0.0),
        Boundary(0.0, True, 0.5, 0.75),
    ]
    assert boundaries[2] == Boundary(1.0, True, 0.75, 0.75)


def test_a_count_inside_the_profiles_bounds_has_no_psi_and_one_outside_has(profiles):
    table = profiles.application
    # CNT_CHILDREN: min, 25% and 50% are 0, 75% is 1, max 19.
    allowed = pd.Series([0] * 70 + [1] * 20 + [2] * 10)
    assert column_psi(allowed, "CNT_CHILDREN", table)["psi"] < 1e-6
    too_many_children = pd.Series([0] * 30 + [1] * 20 + [3] * 50)
    result = column_psi(too_many_children, "CNT_CHILDREN", table)
    assert not result["exact_shares"]
    assert result["psi"] > 0.25


def test_a_column_absent_from_the_profile_is_named(profiles):
    frame = pd.DataFrame({"EXT_SOURCE_3": [0.5, 0.6], "NOT_A_COLUMN": [1.0, 2.0]})
    with pytest.raises(KeyError, match="NOT_A_COLUMN"):
        profile_psi(frame, profiles.application, columns=["NOT_A_COLUMN"])
    with pytest.raises(KeyError, match="NOT_A_COLUMN"):
        column_psi(frame["NOT_A_COLUMN"], "NOT_A_COLUMN", profiles.application)


def test_a_profiled_column_missing_from_the_frame_is_named(profiles):
    frame = pd.DataFrame({"EXT_SOURCE_3": [0.5, 0.6]})
    with pytest.raises(KeyError, match="EXT_SOURCE_2"):
        profile_psi(frame, profiles.application)


def test_identifiers_get_no_psi(profiles):
    assert not profiles.application.describes("SK_ID_CURR")
    assert not profiles.previous_application.describes("SK_ID_PREV")


# --- on a generated population -------------------------------------------------


@pytest.fixture(scope="module")
def population():
    return generate_loan_data(5_000, seed=3)


def test_every_profiled_column_gets_a_finite_psi(profiles, population):
    application = profile_psi(population.application, profiles.application)
    previous = profile_psi(
        population.previous_application, profiles.previous_application
    )
    assert len(application) == 121
    assert len(previous) == 35
    for psi in (application, previous):
        assert np.isfinite(psi["psi"]).all()
        assert (psi["psi"] >= 0).all()


def test_the_relationships_compute_finite_numbers(profiles, population):
    figures = (*correlations(), *relationships(profiles))
    names = [figure.name for figure in figures]
    assert len(names) == len(set(names)), "figure names must be unique"
    table = measure_all(
        figures, population.application, population.previous_application
    )
    assert len(table) == len(figures)
    not_finite = table.loc[~np.isfinite(table["synthetic"]), "name"].tolist()
    assert not not_finite
    known = table.dropna(subset=["real"])
    assert (known["difference"] == known["synthetic"] - known["real"]).all()
    shares = table.loc[table["unit"] == "share", "synthetic"]
    assert shares.between(0, 1).all()
    correlation = table.loc[table["unit"] == "correlation", "synthetic"]
    assert correlation.between(-1, 1).all()


def test_relationships_measure_what_they_say(profiles):
    application = pd.DataFrame(
        {
            "TARGET": [1, 1, 0, 0, 0, 0, 0, 0],
            "EXT_SOURCE_3": [np.nan, np.nan, np.nan, np.nan, 0.5, 0.6, 0.7, 0.9],
        }
    )
    by_name = {figure.name: figure for figure in relationships(profiles)}
    missing = by_name["default rate, EXT_SOURCE_3 missing"]
    assert missing.real == pytest.approx(0.099)
    assert missing.synthetic(application, pd.DataFrame()) == pytest.approx(0.5)
    present = by_name["default rate, EXT_SOURCE_3 present"]
    assert present.synthetic(application, pd.DataFrame()) == 0.0
    high_score = by_name["EXT_SOURCE_3 > 0.8"]
    assert high_score.synthetic(application, pd.DataFrame()) == pytest.approx(0.25)
    assert by_name["age under 25"].real is None


def test_the_real_sentinel_shares_come_from_the_profile(profiles):
    by_name = {figure.name: figure for figure in relationships(profiles)}
    drawing = by_name["DAYS_FIRST_DRAWING = 365243"].real
    last_due = by_name["DAYS_LAST_DUE = 365243"].real
    assert drawing == pytest.approx(0.942, abs=1e-3)
    assert last_due == pytest.approx(0.213, abs=2e-3)
    assert not math.isnan(drawing)
