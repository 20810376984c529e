"""A WoE logistic scorecard as a scikit-learn classifier, fitted with optbinning.

``WoEScorecard.fit`` runs optbinning's ``BinningProcess`` (optimal binning of each
characteristic, with a monotonic event-rate trend where the data supports one),
selects characteristics by information value, leaving out those that duplicate a
stronger one, and fits optbinning's ``Scorecard`` (a logistic regression on the
WoE of the bins, scaled to points: ``scorecard_points`` at ``odds`` good:bad, and
``pdo`` points to double the odds). It then keeps only what scoring needs, as plain
arrays: each selected characteristic's split points and the points of its bins.

The points are the model: an applicant's score is the sum of the points of the bins
they fall in, and the probability of default follows from the scaling,
``p = 1 / (1 + exp((score - offset) / factor))`` with ``factor = pdo / ln 2`` and
``offset = scorecard_points - factor * ln(odds)`` (the same number as optbinning's
``predict_proba``, tested). Reason codes are therefore exact: a characteristic's
contribution is the points it scored below its best bin.

Keeping arrays rather than optbinning's fitted objects lets the saved model load
with skops from a short list of trusted types (``model/artifact.py``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

POINTS_TABLE_COLUMNS = ["characteristic", "bin", "count", "event_rate", "WoE", "points"]
"""The columns of ``points_table``: one row per bin of each selected characteristic."""

CONTRIBUTION_METHOD = "scorecard points below each characteristic's best bin"


class WoEScorecard(ClassifierMixin, BaseEstimator):
    """A points scorecard on optimally binned characteristics (see the module).

    ``monotonic_trend``: optbinning's trend for every characteristic's event rate,
    "auto_asc_desc" (ascending or descending, whichever the data supports),
    "auto" (also peaks and valleys), "ascending", "descending" or None.
    ``prebinning_method`` ("cart", "quantile", ...), ``max_n_prebins`` and
    ``min_prebin_size``: optbinning's pre-binning, which bounds the optimisation's
    size (and the fit time). ``min_iv``: characteristics of lower
    information value are left out; ``max_n_candidates``: only this many
    characteristics, those of the highest information value over their deciles
    (and a missing bin), are binned optimally (None: all; optimal binning is most of
    the fit time); ``max_n_characteristics``: at most this many,
    the highest IV first (None: no bound); ``max_correlation``: a characteristic
    whose WoE correlates beyond this with a stronger one is left out (duplicates
    such as DAYS_BIRTH and AGE_YEARS would split their weight and flip signs).
    ``C``, ``max_iter``, ``class_weight``: the logistic regression's.
    """

    def __init__(
        self,
        *,
        monotonic_trend: str | None = "auto_asc_desc",
        prebinning_method: str = "cart",
        max_n_prebins: int = 10,
        min_prebin_size: float = 0.05,
        min_iv: float = 0.02,
        max_n_candidates: int | None = None,
        max_n_characteristics: int | None = None,
        max_correlation: float = 0.7,
        C: float = 1.0,  # noqa: N803 (scikit-learn's name)
        max_iter: int = 1000,
        class_weight: Any = None,
        scorecard_points: float = 600.0,
        odds: float = 50.0,
        pdo: float = 20.0,
    ) -> None:
        self.monotonic_trend = monotonic_trend
        self.prebinning_method = prebinning_method
        self.max_n_prebins = max_n_prebins
        self.min_prebin_size = min_prebin_size
        self.min_iv = min_iv
        self.max_n_candidates = max_n_candidates
        self.max_n_characteristics = max_n_characteristics
        self.max_correlation = max_correlation
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.scorecard_points = scorecard_points
        self.odds = odds
        self.pdo = pdo

    # --- fitting -------------------------------------------------------------------

    def fit(self, features: Any, target: Any) -> WoEScorecard:
        """Bin every column (or the ``max_n_candidates`` of the highest decile
        information value) and keep those of information value >= ``min_iv``; of
        those, from the highest IV down, skip a characteristic whose WoE correlates
        beyond ``max_correlation`` with one already kept, up to
        ``max_n_characteristics``; fit the scorecard on them; while a
        characteristic's coefficient has the wrong sign (its points would fall as
        its WoE, the evidence of repayment, rises), drop the weakest such and refit.
        """
        frame = _as_frame(features)
        names = [str(name) for name in frame.columns]
        labels = np.asarray(target)
        self.classes_ = np.unique(labels)
        if len(self.classes_) != 2:
            raise ValueError(
                f"a scorecard needs two classes; the target has {self.classes_.tolist()}"
            )
        with warnings.catch_warnings():
            # optbinning's own use of deprecated pandas and scikit-learn arguments.
            warnings.filterwarnings("ignore", module="optbinning")
            warnings.filterwarnings("ignore", module="sklearn")
            candidates = self._candidates(frame, labels == self.classes_[1])
            screening = self._binning(candidates).fit(frame[candidates], labels)
            woe, information = self._uncorrelated(screening, frame)
            while len(woe) > 1:
                # The regression Scorecard fits, on the same WoE columns.
                coefficients = (
                    self._regression().fit(pd.DataFrame(woe), labels).coef_[0]
                )
                # Optbinning's WoE is ln(non-events / events): it falls with risk.
                wrong = [n for n, c in zip(woe, coefficients, strict=True) if c >= 0]
                if not wrong:
                    break
                del woe[min(wrong, key=information.__getitem__)]
            self._keep_points(self._scorecard(list(woe), frame, labels), names)
        return self

    def _candidates(self, frame: pd.DataFrame, defaulted: np.ndarray) -> list[str]:
        """The columns to bin optimally: all, or the ``max_n_candidates`` of the
        highest information value over their deciles (ties keep column order)."""
        names = [str(name) for name in frame.columns]
        if self.max_n_candidates is not None and self.max_n_candidates < 1:
            raise ValueError(
                f"scorecard: max_n_candidates must be at least 1 or null; got "
                f"{self.max_n_candidates}"
            )
        if self.max_n_candidates is None or self.max_n_candidates >= len(names):
            return names
        information = [
            decile_information_value(frame[name].to_numpy(dtype="float64"), defaulted)
            for name in names
        ]
        order = np.argsort(-np.asarray(information), kind="stable")
        return [names[i] for i in sorted(order[: self.max_n_candidates])]

    def _binning(self, names: list[str]) -> Any:
        # optbinning and its solvers take seconds to import and only fitting needs them.
        from optbinning import BinningProcess  # noqa: PLC0415

        return BinningProcess(
            names,
            max_n_prebins=self.max_n_prebins,
            min_prebin_size=self.min_prebin_size,
            binning_fit_params={
                name: {
                    "monotonic_trend": self.monotonic_trend,
                    "prebinning_method": self.prebinning_method,
                }
                for name in names
            },
            n_jobs=1,
        )

    def _uncorrelated(
        self, screening: Any, frame: pd.DataFrame
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The characteristics to score with their WoE (highest IV first), and
        every characteristic's IV."""
        summary = screening.summary()
        information = dict(
            zip(summary["name"], summary["iv"].astype(float), strict=True)
        )
        selected = summary.loc[summary["iv"] >= self.min_iv, "name"].tolist()
        selected.sort(key=lambda name: -information[name])
        woe = screening.get_binned_variable
        kept: list[str] = []
        kept_woe: list[np.ndarray] = []
        for name in selected:
            if (
                self.max_n_characteristics is not None
                and len(kept) >= self.max_n_characteristics
            ):
                break
            values = woe(name).transform(frame[name].to_numpy(), metric="woe")
            if np.std(values) == 0:
                continue
            if any(
                abs(np.corrcoef(values, other)[0, 1]) > self.max_correlation
                for other in kept_woe
            ):
                continue
            kept.append(name)
            kept_woe.append(values)
        if not kept:
            raise ValueError(
                f"a scorecard needs a characteristic of information value >= "
                f"{self.min_iv}; the highest is {max(information.values(), default=0):.4f}"
            )
        return dict(zip(kept, kept_woe, strict=True)), information

    def _regression(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C, max_iter=self.max_iter, class_weight=self.class_weight
        )

    def _scorecard(self, kept: list[str], frame: pd.DataFrame, labels: Any) -> Any:
        """optbinning's Scorecard on ``kept``: the same binning of each (a
        characteristic's optimal binning depends on it alone), a logistic
        regression on the WoE and the points scaling."""
        from optbinning import Scorecard  # noqa: PLC0415

        scorecard = Scorecard(
            self._binning(kept),
            self._regression(),
            scaling_method="pdo_odds",
            scaling_method_params={
                "pdo": float(self.pdo),
                "odds": float(self.odds),
                "scorecard_points": float(self.scorecard_points),
            },
        )
        return scorecard.fit(frame[kept], labels)

    def _keep_points(self, scorecard: Any, names: list[str]) -> None:
        """The fitted scorecard as arrays: per characteristic, its splits and the
        points, WoE, labels, counts and event rates of its bins (the regular bins,
        then optbinning's Special and Missing bins)."""
        table = scorecard.table(style="detailed")
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.characteristics_: list[str] = []
        self.columns_: list[int] = []
        self.splits_: list[np.ndarray] = []
        self.points_: list[np.ndarray] = []
        self.woe_: list[np.ndarray] = []
        self.bin_labels_: list[list[str]] = []
        self.bin_counts_: list[np.ndarray] = []
        self.event_rates_: list[np.ndarray] = []
        self.information_values_: list[float] = []
        for name, rows in table.groupby("Variable", sort=False):
            splits = np.asarray(
                scorecard.binning_process_.get_binned_variable(name).splits,
                dtype="float64",
            )
            if len(rows) != len(splits) + 3:  # regular bins, Special, Missing
                raise ValueError(
                    f"scorecard: {name} has {len(rows)} bins for {len(splits)} splits"
                )
            self.characteristics_.append(str(name))
            self.columns_.append(names.index(name))
            self.splits_.append(splits)
            self.points_.append(rows["Points"].to_numpy(dtype="float64"))
            self.woe_.append(rows["WoE"].to_numpy(dtype="float64"))
            self.bin_labels_.append([str(label) for label in rows["Bin"]])
            self.bin_counts_.append(rows["Count"].to_numpy(dtype="int64"))
            self.event_rates_.append(rows["Event rate"].to_numpy(dtype="float64"))
            self.information_values_.append(float(rows["IV"].sum()))
        self.factor_ = float(self.pdo) / math.log(2)
        self.offset_ = float(self.scorecard_points) - self.factor_ * math.log(
            float(self.odds)
        )

    # --- scoring -------------------------------------------------------------------

    def _bin_points(self, features: Any) -> np.ndarray:
        """(rows, characteristics) points of the bin each row falls in."""
        check_is_fitted(self, "points_")
        matrix = _as_matrix(features, self.n_features_in_)
        points = np.empty((matrix.shape[0], len(self.characteristics_)))
        for slot, (column, splits, bin_points) in enumerate(
            zip(self.columns_, self.splits_, self.points_, strict=True)
        ):
            values = matrix[:, column]
            # optbinning's bins: (-inf, s1), [s1, s2), ..., [sk, inf); missing last.
            index = np.digitize(values, splits, right=False)
            index[np.isnan(values)] = len(bin_points) - 1
            points[:, slot] = bin_points[index]
        return points

    def score(self, features: Any) -> np.ndarray:
        """Each row's score: the sum of its bins' points (higher is safer)."""
        return self._bin_points(features).sum(axis=1)

    def predict_proba(self, features: Any) -> np.ndarray:
        odds_of_good = np.exp((self.score(features) - self.offset_) / self.factor_)
        default = 1.0 / (1.0 + odds_of_good)
        return np.column_stack([1.0 - default, default])

    def predict(self, features: Any) -> np.ndarray:
        return self.classes_[(self.predict_proba(features)[:, 1] >= 0.5).astype(int)]

    # --- explanations --------------------------------------------------------------

    contribution_method = CONTRIBUTION_METHOD

    def contributions(self, features: Any) -> np.ndarray:
        """(rows, features) points each input column scored below its best regular
        bin: >= 0, 0 for columns the scorecard does not use. Their sum is the
        score's shortfall from the best possible score."""
        bin_points = self._bin_points(features)
        best = np.array(
            [points[: len(splits) + 1].max() for points, splits in self._pairs()]
        )
        result = np.zeros((bin_points.shape[0], self.n_features_in_))
        result[:, self.columns_] = best - bin_points
        return result

    importance_method = "information value"

    @property
    def feature_importances_(self) -> np.ndarray:
        """Each input column's information value on the training data (0 for the
        columns the scorecard leaves out): the usual ranking of characteristics."""
        check_is_fitted(self, "points_")
        importances = np.zeros(self.n_features_in_)
        importances[self.columns_] = self.information_values_
        return importances

    def _pairs(self) -> zip:
        return zip(self.points_, self.splits_, strict=True)

    def points_table(self) -> pd.DataFrame:
        """One row per bin of each characteristic: its label, training count and
        event rate, WoE and points (``POINTS_TABLE_COLUMNS``)."""
        check_is_fitted(self, "points_")
        parts = [
            pd.DataFrame(
                {
                    "characteristic": name,
                    "bin": labels,
                    "count": counts,
                    "event_rate": rates,
                    "WoE": woe,
                    "points": points,
                }
            )
            for name, labels, counts, rates, woe, points in zip(
                self.characteristics_,
                self.bin_labels_,
                self.bin_counts_,
                self.event_rates_,
                self.woe_,
                self.points_,
                strict=True,
            )
        ]
        if not parts:
            return pd.DataFrame(columns=POINTS_TABLE_COLUMNS)
        return pd.concat(parts, ignore_index=True)[POINTS_TABLE_COLUMNS]


def decile_information_value(
    values: np.ndarray, defaulted: np.ndarray, n_bins: int = 10
) -> float:
    """The information value of ``values`` cut at its deciles, missing values in
    a bin of their own: a cheap screen before optimal binning (optbinning has none;
    its binning process bins and analyses every column). Half a count is added to
    each side of every occupied bin so that an empty side does not make it
    infinite."""
    missing = np.isnan(values)
    present = values[~missing]
    inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    edges = np.unique(np.quantile(present, inner)) if present.size else np.empty(0)
    index = np.searchsorted(edges, values, side="right")
    index[missing] = edges.size + 1
    size = edges.size + 2
    events = np.bincount(index[defaulted], minlength=size).astype("float64")
    others = np.bincount(index[~defaulted], minlength=size).astype("float64")
    used = events + others > 0
    events, others = events[used] + 0.5, others[used] + 0.5
    event_share = events / events.sum()
    other_share = others / others.sum()
    return float(
        np.sum((other_share - event_share) * np.log(other_share / event_share))
    )


def _as_frame(features: Any) -> pd.DataFrame:
    if isinstance(features, pd.DataFrame):
        return features
    matrix = np.asarray(features, dtype="float64")
    return pd.DataFrame(matrix, columns=[f"x{i}" for i in range(matrix.shape[1])])


def _as_matrix(features: Any, n_features: int) -> np.ndarray:
    matrix = np.asarray(features, dtype="float64")
    if matrix.ndim != 2 or matrix.shape[1] != n_features:
        raise ValueError(
            f"the scorecard reads {n_features} features; got shape {matrix.shape}"
        )
    return matrix
