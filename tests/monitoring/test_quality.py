import numpy as np
import pandas as pd
import pytest

from loan_default.monitoring.quality import data_quality


def test_numeric_profile_by_hand():
    reference = pd.DataFrame({"x": [1.0, 2.0, 2.0, 5.0, np.nan]})
    current = pd.DataFrame({"x": [0.0, 2.0, 9.0, np.nan, np.nan]})
    row = data_quality(reference, current, ["x"], []).iloc[0]
    assert row["null_share_reference"] == pytest.approx(0.2)
    assert row["null_share_current"] == pytest.approx(0.4)
    assert row["null_share_change"] == pytest.approx(0.2)
    assert (row["min_reference"], row["max_reference"]) == (1.0, 5.0)
    assert row["mean_reference"] == pytest.approx(2.5)
    assert row["median_reference"] == 2.0
    assert row["mode_reference"] == 2.0
    assert row["out_of_range_share"] == pytest.approx(2 / 3)  # 0 and 9 of 3 present


def test_unseen_categories_are_reported_with_their_share():
    reference = pd.DataFrame({"c": pd.array(["a", "b", "a", None], dtype="string")})
    current = pd.DataFrame({"c": pd.array(["a", "z", "y", "z", None], dtype="string")})
    row = data_quality(reference, current, [], ["c"]).iloc[0]
    assert row["unseen_levels"] == "y|z"
    assert row["unseen_share"] == pytest.approx(0.6)
    assert row["top_level_reference"] == "a"
    assert row["top_level_current"] == "z"


def test_no_unseen_levels_gives_an_empty_list(reference, stable_batch):
    quality = data_quality(reference, stable_batch, [], ["cat_01"])
    assert quality["unseen_levels"].iloc[0] == ""
    assert quality["unseen_share"].iloc[0] == 0.0


def test_all_missing_feature_has_no_range_but_no_error():
    reference = pd.DataFrame({"x": [1.0, 2.0]})
    current = pd.DataFrame({"x": [np.nan, np.nan]})
    row = data_quality(reference, current, ["x"], [], workers=2).iloc[0]
    assert row["null_share_current"] == 1.0
    assert np.isnan(row["mean_current"])
    assert np.isnan(row["out_of_range_share"])


def test_empty_batch_is_refused():
    frame = pd.DataFrame({"x": [1.0]})
    with pytest.raises(ValueError, match="current batch is empty"):
        data_quality(frame, frame.iloc[:0], ["x"], [])
