import numpy as np
import pytest
from scipy.special import expit, logit
from scipy.stats import binom

from loan_default.model_risk.calibration import (
    GRADE_COLUMNS,
    calibration_by_grade,
    calibration_intercept_and_slope,
)


def newton_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unpenalised logistic regression of y on (1, x) by Newton-Raphson."""
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(50):
        p = expit(design @ beta)
        gradient = design.T @ (y - p)
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        beta = beta + np.linalg.solve(hessian, gradient)
    return beta


def newton_intercept(logits: np.ndarray, y: np.ndarray) -> float:
    """The intercept of logit P = a0 + logit(p), by Newton-Raphson."""
    a0 = 0.0
    for _ in range(50):
        p = expit(a0 + logits)
        a0 += (y - p).sum() / (p * (1 - p)).sum()
    return a0


@pytest.fixture
def miscalibrated() -> tuple[np.ndarray, np.ndarray]:
    """Outcomes drawn from logit P = -0.4 + 0.7 logit(p): too extreme and too high."""
    rng = np.random.default_rng(8)
    p = rng.beta(1.2, 9, 6000)
    y = (rng.random(6000) < expit(-0.4 + 0.7 * logit(p))).astype(int)
    return y, p


def test_intercept_and_slope_match_newton_raphson_by_hand(miscalibrated):
    y, p = miscalibrated
    result = calibration_intercept_and_slope(y, p)
    intercept, slope = newton_logistic(logit(p), y)
    assert result["intercept"] == pytest.approx(intercept, abs=1e-6)
    assert result["slope"] == pytest.approx(slope, abs=1e-6)
    assert result["intercept_in_the_large"] == pytest.approx(
        newton_intercept(logit(p), y), abs=1e-9
    )
    # The generating values, within sampling error.
    assert result["slope"] == pytest.approx(0.7, abs=0.12)
    assert result["intercept"] == pytest.approx(-0.4, abs=0.3)


def test_in_the_large_matches_observed_and_predicted_defaults(miscalibrated):
    y, p = miscalibrated
    shift = calibration_intercept_and_slope(y, p)["intercept_in_the_large"]
    assert expit(logit(p) + shift).sum() == pytest.approx(y.sum())


def test_well_calibrated_scores_give_zero_and_one():
    rng = np.random.default_rng(1)
    p = rng.beta(1.2, 9, 20_000)
    y = (rng.random(p.size) < p).astype(int)
    result = calibration_intercept_and_slope(y, p)
    assert result["slope"] == pytest.approx(1.0, abs=0.08)
    assert result["intercept_in_the_large"] == pytest.approx(0.0, abs=0.05)


def test_probabilities_of_zero_and_one_are_usable():
    result = calibration_intercept_and_slope(
        [0, 0, 1, 1, 0, 1], [0, 0.2, 1, 0.7, 0.5, 0.4]
    )
    assert np.isfinite(list(result.values())).all()


def test_grades_by_hand_with_the_exact_binomial_test():
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    p = np.array([0.1, 0.1, 0.2, 0.2, 0.5, 0.5, 0.6, 0.6])
    grades = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    table = calibration_by_grade(y, p, grades, significance=0.05)
    assert list(table.columns) == GRADE_COLUMNS
    first = table.iloc[0]
    assert first["applicants"] == 4 and first["defaults"] == 1
    assert first["observed_default_rate"] == 0.25
    assert first["predicted_default_rate"] == pytest.approx(0.15)
    assert first["expected_defaults"] == pytest.approx(0.6)
    # Two-sided exact test: the total probability of outcomes no likelier than 1.
    pmf = binom.pmf(np.arange(5), 4, 0.15)
    expected = pmf[pmf <= pmf[1] * (1 + 1e-7)].sum()
    assert first["p_value"] == pytest.approx(expected)
    assert not table["flagged"].any()


def test_a_badly_calibrated_grade_is_flagged():
    y = np.r_[np.ones(30), np.zeros(70)].astype(int)
    p = np.full(100, 0.05)
    table = calibration_by_grade(y, p, np.ones(100), significance=0.01)
    assert table["p_value"].iloc[0] < 1e-10
    assert table["flagged"].iloc[0]


def test_one_grade_per_applicant_is_required():
    with pytest.raises(ValueError, match="grades has 2 values but y_true has 3"):
        calibration_by_grade([0, 1, 0], [0.1, 0.2, 0.3], [1, 2], significance=0.05)


def test_significance_outside_zero_and_one_is_refused():
    with pytest.raises(ValueError, match="significance must lie in"):
        calibration_by_grade([0, 1], [0.1, 0.2], [1, 1], significance=5)
