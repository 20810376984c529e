"""Calibration a validator can test: observed against predicted default rate per
risk grade with an exact binomial test, and the calibration intercept and slope.

Intercept and slope follow the usual logistic recalibration (Cox 1958; Van Calster
et al. 2019, "Calibration: the Achilles heel of predictive analytics"):

- slope ``b`` and its intercept ``a`` from ``logit P(default) = a + b logit(p)``,
  fitted by unpenalised maximum likelihood (scikit-learn's ``LogisticRegression``
  with no penalty, ``C=inf``); ``b < 1`` means the scores are too extreme, ``b > 1`` too
  timid;
- calibration-in-the-large, the intercept ``a0`` of ``logit P = a0 + logit(p)``
  with the slope fixed at 1: the root of the score equation (observed defaults
  equal predicted), found with SciPy's ``brentq``; ``a0 > 0`` means the model
  under-predicts on average.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression

from loan_default.metrics import checked_scores

_EPSILON = 1e-12
"""Probabilities of exactly 0 or 1 are moved this far inside (0, 1) to take logits."""
_INTERCEPT_BRACKET = 30.0
"""Calibration-in-the-large is searched in (-30, 30) on the logit scale."""

GRADE_COLUMNS = [
    "risk_grade",
    "applicants",
    "defaults",
    "observed_default_rate",
    "predicted_default_rate",
    "expected_defaults",
    "p_value",
    "flagged",
]


def _logits(scores: np.ndarray) -> np.ndarray:
    return logit(np.clip(scores, _EPSILON, 1 - _EPSILON))


def calibration_intercept_and_slope(y_true: Any, probability: Any) -> dict[str, float]:
    """The logistic recalibration of ``probability`` against ``y_true``:
    ``intercept`` and ``slope`` of ``logit P = a + b logit(p)``, and
    ``intercept_in_the_large`` (the slope held at 1). A perfectly calibrated
    model has 0, 1 and 0."""
    labels, scores = checked_scores(y_true, probability)
    logits = _logits(scores)
    fit = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(
        logits[:, None], labels
    )
    observed = labels.sum()

    def excess_predicted(shift: float) -> float:
        return float(expit(logits + shift).sum() - observed)

    in_the_large = brentq(
        excess_predicted, -_INTERCEPT_BRACKET, _INTERCEPT_BRACKET, xtol=1e-12
    )
    return {
        "intercept": float(fit.intercept_[0]),
        "slope": float(fit.coef_[0, 0]),
        "intercept_in_the_large": float(in_the_large),
    }


def calibration_by_grade(
    y_true: Any, probability: Any, grades: Any, significance: float
) -> pd.DataFrame:
    """Per risk grade: applicants, defaults, observed and mean predicted default
    rate, and the two-sided exact binomial test (``scipy.stats.binomtest``) that
    the defaults come from the grade's mean predicted rate. ``flagged`` when the
    p-value is below ``significance``."""
    labels, scores = checked_scores(y_true, probability)
    grades = np.asarray(grades)
    if grades.shape != labels.shape:
        raise ValueError(
            f"grades has {grades.size} values but y_true has {labels.size}: one "
            "risk grade per applicant is expected"
        )
    if not 0 < significance < 1:
        raise ValueError(f"significance must lie in (0, 1); got {significance}")
    table = (
        pd.DataFrame({"risk_grade": grades, "default": labels, "score": scores})
        .groupby("risk_grade", sort=True)
        .agg(
            applicants=("default", "size"),
            defaults=("default", "sum"),
            predicted_default_rate=("score", "mean"),
        )
        .reset_index()
    )
    table["observed_default_rate"] = table["defaults"] / table["applicants"]
    table["expected_defaults"] = table["predicted_default_rate"] * table["applicants"]
    table["p_value"] = [
        binomtest(int(k), int(n), float(p)).pvalue
        for k, n, p in zip(
            table["defaults"],
            table["applicants"],
            table["predicted_default_rate"],
            strict=True,
        )
    ]
    table["flagged"] = table["p_value"] < significance
    return table[GRADE_COLUMNS]
