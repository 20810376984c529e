"""The WoE scorecard: its points, scores and probabilities against optbinning's own
Scorecard fitted with the same settings, its reason contributions, and its saved
form."""

from __future__ import annotations

import copy
import dataclasses
import fractions
import math

import numpy as np
import pandas as pd
import pytest
from optbinning import BinningProcess, Scorecard
from sklearn.linear_model import LogisticRegression

from loan_default.model.artifact import (
    ArtifactRefusedError,
    load_scoring_model,
    save_scoring_model,
)
from loan_default.model.scorecard import (
    POINTS_TABLE_COLUMNS,
    WoEScorecard,
    decile_information_value,
)

SETTINGS = {"max_n_prebins": 6, "min_prebin_size": 0.05, "min_iv": 0.02}


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 3000
    features = pd.DataFrame(
        {
            "score": rng.uniform(0, 1, n),
            "income": rng.lognormal(10, 0.5, n),
            "flag": rng.integers(0, 2, n).astype(float),
            "noise": rng.normal(size=n),
        }
    )
    # The same information twice: only the stronger of the two may be scored.
    features["score_copy"] = 100 * features["score"] + 1
    logit = -2.5 - 3 * (features["score"] - 0.5) + 0.8 * features["flag"]
    labels = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return features, labels.to_numpy()


@pytest.fixture(scope="module")
def fitted(data) -> tuple[WoEScorecard, Scorecard]:
    """Ours, and optbinning's Scorecard on the characteristics ours kept, with the
    same binning, regression and scaling."""
    features, labels = data
    ours = WoEScorecard(**SETTINGS).fit(features, labels)
    names = ours.characteristics_
    reference = Scorecard(
        BinningProcess(
            names,
            max_n_prebins=SETTINGS["max_n_prebins"],
            min_prebin_size=SETTINGS["min_prebin_size"],
            binning_fit_params={n: {"monotonic_trend": "auto_asc_desc"} for n in names},
        ),
        LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    ).fit(features[names], labels)
    return ours, reference


def test_points_table_is_optbinnings(fitted):
    ours, reference = fitted
    expected = reference.table(style="detailed")
    table = ours.points_table()
    assert list(table.columns) == POINTS_TABLE_COLUMNS
    assert table["characteristic"].tolist() == expected["Variable"].tolist()
    assert table["bin"].tolist() == [str(label) for label in expected["Bin"]]
    np.testing.assert_allclose(table["points"], expected["Points"])
    np.testing.assert_allclose(table["WoE"], expected["WoE"])
    np.testing.assert_array_equal(table["count"], expected["Count"])
    # The uninformative characteristic is left out by its information value, the
    # duplicate by its correlation with the one kept.
    assert "noise" not in set(table["characteristic"])
    assert {"score", "flag"} <= set(table["characteristic"])
    assert len({"score", "score_copy"} & set(table["characteristic"])) == 1


def test_points_rise_with_the_woe_of_every_characteristic(fitted):
    # No sign reversal: in every characteristic, more evidence of repayment (WoE)
    # is worth more points.
    ours, reference = fitted
    assert (reference.estimator_.coef_[0] < 0).all()
    for woe, points, splits in zip(ours.woe_, ours.points_, ours.splits_, strict=True):
        regular = slice(0, len(splits) + 1)
        order = np.argsort(woe[regular])
        assert (np.diff(points[regular][order]) >= -1e-9).all()


def test_the_strongest_characteristics_are_kept_first(data):
    features, labels = data
    one = WoEScorecard(**SETTINGS, max_n_characteristics=1).fit(features, labels)
    assert one.characteristics_ in (["score"], ["score_copy"])


def test_decile_information_value_ranks_signal_above_noise(data):
    features, labels = data
    defaulted = labels == 1
    value = {
        name: decile_information_value(features[name].to_numpy(), defaulted)
        for name in features
    }
    assert value["score"] == pytest.approx(value["score_copy"])
    assert value["score"] > value["flag"] > value["noise"] > 0


def test_missing_values_are_a_bin_of_their_own_in_the_screen():
    # Only missingness carries risk here: the screen must see it.
    defaulted = np.array([True] * 50 + [False] * 450)
    values = np.ones(500)
    values[:40] = np.nan
    assert decile_information_value(values, defaulted) > 1.0
    assert decile_information_value(np.ones(500), defaulted) == pytest.approx(0.0)


def test_only_the_candidates_of_highest_decile_information_are_binned(data):
    features, labels = data
    screened = WoEScorecard(**SETTINGS, max_n_candidates=2).fit(features, labels)
    # score and score_copy are the two strongest; the duplicate is then left out.
    assert screened.characteristics_ in (["score"], ["score_copy"])
    unscreened = WoEScorecard(**SETTINGS, max_n_candidates=None).fit(features, labels)
    assert set(unscreened.characteristics_) > set(screened.characteristics_)


def test_no_candidates_is_refused(data):
    features, labels = data
    with pytest.raises(ValueError, match="max_n_candidates must be at least 1"):
        WoEScorecard(**SETTINGS, max_n_candidates=0).fit(features, labels)


def test_scores_and_probabilities_are_optbinnings(fitted, data):
    ours, reference = fitted
    features, _ = data
    np.testing.assert_allclose(ours.score(features), reference.score(features))
    np.testing.assert_allclose(
        ours.predict_proba(features), reference.predict_proba(features), atol=1e-12
    )


def test_scaling_puts_600_points_at_odds_of_50_and_20_points_double_them(fitted):
    ours, _ = fitted
    # p(default) at a score s: odds good:bad = exp((s - offset) / factor).
    odds = [math.exp((s - ours.offset_) / ours.factor_) for s in (600.0, 620.0)]
    assert odds[0] == pytest.approx(50.0)
    assert odds[1] == pytest.approx(100.0)


def test_monotonic_trend_holds_in_every_characteristic(fitted):
    ours, _ = fitted
    for name, rates, splits in zip(
        ours.characteristics_, ours.event_rates_, ours.splits_, strict=True
    ):
        regular = rates[: len(splits) + 1]
        steps = np.diff(regular)
        assert (steps >= 0).all() or (steps <= 0).all(), name


def test_contributions_are_the_points_below_each_best_bin(fitted, data):
    ours, _ = fitted
    features, _ = data
    contributions = ours.contributions(features.iloc[:50])
    table = ours.points_table()
    for name in ours.characteristics_:
        regular = table.query(
            "characteristic == @name and bin not in ['Special', 'Missing']"
        )
        column = list(features.columns).index(name)
        best = regular["points"].max()
        assert contributions[:, column].min() >= 0
        assert contributions[:, column].max() <= best - regular["points"].min() + 1e-9
    # Unused columns contribute nothing; the total is the shortfall from the best score.
    assert (contributions[:, list(features.columns).index("noise")] == 0).all()
    best_score = sum(
        table.query("characteristic == @n and bin not in ['Special', 'Missing']")[
            "points"
        ].max()
        for n in ours.characteristics_
    )
    np.testing.assert_allclose(
        contributions.sum(axis=1), best_score - ours.score(features.iloc[:50])
    )


def test_missing_values_score_the_missing_bin(fitted, data):
    ours, _ = fitted
    row = data[0].iloc[:1].copy()
    row["score"] = np.nan
    position = ours.characteristics_.index("score")
    points = ours._bin_points(row)[0, position]
    assert points == ours.points_[position][-1]


def test_a_single_class_is_refused(data):
    features, _ = data
    with pytest.raises(ValueError, match="two classes"):
        WoEScorecard(**SETTINGS).fit(features, np.zeros(len(features), dtype=int))


def test_a_matrix_of_other_width_is_refused(fitted, data):
    ours, _ = fitted
    with pytest.raises(ValueError, match="reads 5 features"):
        ours.predict_proba(data[0].iloc[:, :3])


def test_saved_scorecard_scores_bit_for_bit(scorecard_champion, raw_data, tmp_path):
    applications = raw_data.application.drop(columns="TARGET").iloc[:100]
    save_scoring_model(scorecard_champion, tmp_path / "model")
    loaded = load_scoring_model(tmp_path / "model")
    expected = scorecard_champion.score(applications, reason_codes=4)
    got = loaded.score(applications, reason_codes=4)
    np.testing.assert_array_equal(
        got.scores["PROBABILITY"], expected.scores["PROBABILITY"]
    )
    assert got.reason_codes == expected.reason_codes
    assert loaded.reason_statements == scorecard_champion.reason_statements


def test_importances_are_the_information_values(fitted, data):
    ours, reference = fitted
    features, _ = data
    table = reference.table(style="detailed")
    expected = table.groupby("Variable")["IV"].sum()
    importances = dict(zip(features.columns, ours.feature_importances_, strict=True))
    for name in features.columns:
        assert importances[name] == pytest.approx(expected.get(name, 0.0))
    assert ours.importance_method == "information value"


def test_a_saved_scorecard_holding_another_type_is_refused(
    scorecard_champion, tmp_path
):
    # Only the scorecard class itself is trusted: anything smuggled inside it is not.
    estimator = copy.deepcopy(scorecard_champion.estimator)
    estimator.smuggled_ = fractions.Fraction(1, 3)
    save_scoring_model(
        dataclasses.replace(scorecard_champion, estimator=estimator), tmp_path / "m"
    )
    with pytest.raises(ArtifactRefusedError, match=r"untrusted types \['fractions"):
        load_scoring_model(tmp_path / "m")
