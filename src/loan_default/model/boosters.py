"""LightGBM and CatBoost as algorithm blocks (the optional ``boosters`` extra).

The modelling template reads any scikit-learn-style classifier whose constructor
parameters ``get_params`` lists, early stopping by ``early_stopping_rounds`` with
``fit(..., eval_set=..., verbose=...)`` and the stopped model's ``best_iteration``
(0-based, XGBoost's convention). The two libraries' own classifiers differ on
those points only, so each class here is the library's classifier with:

- every setting a block needs named in the constructor (LightGBM takes
  ``early_stopping_rounds``, ``scale_pos_weight`` and ``verbose`` only as keyword
  extras; CatBoost's ``get_params`` lists only the parameters set);
- ``best_iteration`` and a ``fit`` that takes ``verbose``;
- the estimator capability reason codes read (``contributions`` and
  ``contribution_method``, see ``explanations``): the library's exact TreeSHAP
  values on the log-odds scale, LightGBM's ``pred_contrib=True`` and CatBoost's
  ``ShapValues``, without the bias column.

``artifact`` saves them in the libraries' own model formats (LightGBM's text model,
CatBoost's ``cbm``), which load without running code. Importing this module needs
the extra: ``pip install -e ".[boosters]"``.
"""

from __future__ import annotations

import inspect
from typing import Any

import catboost
import lightgbm
import numpy as np

LIGHTGBM_METHOD = "exact TreeSHAP (LightGBM pred_contrib), log-odds"
CATBOOST_METHOD = "exact TreeSHAP (CatBoost ShapValues), log-odds"


def _matrix(features: Any) -> np.ndarray:
    """The estimator's input as float64, read by position: the transformer fixes
    the column order, and LightGBM would rename columns that hold spaces."""
    return np.asarray(features, dtype="float64")


class LightGBMClassifier(lightgbm.LGBMClassifier):
    """``lightgbm.LGBMClassifier`` as the modelling template reads it (see module)."""

    def __init__(
        self,
        *,
        boosting_type: str = "gbdt",
        num_leaves: int = 31,
        max_depth: int = -1,
        learning_rate: float = 0.1,
        n_estimators: int = 100,
        subsample_for_bin: int = 200000,
        objective: str | None = None,
        class_weight: dict | str | None = None,
        min_split_gain: float = 0.0,
        min_child_weight: float = 1e-3,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        random_state: int | None = None,
        n_jobs: int | None = None,
        importance_type: str = "split",
        early_stopping_rounds: int | None = None,
        scale_pos_weight: float = 1.0,
        max_bin: int = 255,
        metric: str | None = None,
        verbose: int = -1,
    ) -> None:
        super().__init__(
            boosting_type=boosting_type,
            num_leaves=num_leaves,
            max_depth=max_depth,
            learning_rate=learning_rate,
            n_estimators=n_estimators,
            subsample_for_bin=subsample_for_bin,
            objective=objective,
            class_weight=class_weight,
            min_split_gain=min_split_gain,
            min_child_weight=min_child_weight,
            min_child_samples=min_child_samples,
            subsample=subsample,
            subsample_freq=subsample_freq,
            colsample_bytree=colsample_bytree,
            reg_alpha=reg_alpha,
            reg_lambda=reg_lambda,
            random_state=random_state,
            n_jobs=n_jobs,
            importance_type=importance_type,
            early_stopping_rounds=early_stopping_rounds,
            scale_pos_weight=scale_pos_weight,
            max_bin=max_bin,
            metric=metric,
            verbose=verbose,
        )

    def fit(
        self, X: Any, y: Any, eval_set: Any = None, verbose: bool = False, **kwargs
    ) -> LightGBMClassifier:
        if eval_set is None and self.early_stopping_rounds is not None:
            raise ValueError(
                "LightGBM early stopping needs a validation set (eval_set)"
            )
        if eval_set is not None:
            kwargs["eval_X"] = tuple(features for features, _ in eval_set)
            kwargs["eval_y"] = tuple(target for _, target in eval_set)
        super().fit(X, y, **kwargs)
        return self

    @property
    def best_iteration(self) -> int:
        """0-based index of the last tree used (LightGBM counts from 1)."""
        best = self.booster_.best_iteration
        return (best if best > 0 else self.booster_.current_iteration()) - 1

    def predict_proba(self, X: Any, **kwargs) -> np.ndarray:
        # The booster itself (trees up to the best iteration), as after loading.
        positive = self.booster_.predict(_matrix(X), **kwargs)
        return np.column_stack([1.0 - positive, positive])

    @property
    def importance_method(self) -> str:
        """What reporting's importance table ranks by (the estimator's own)."""
        return f"LightGBM {self.importance_type} importance"

    contribution_method = LIGHTGBM_METHOD

    def contributions(self, features: Any) -> np.ndarray:
        return self.booster_.predict(_matrix(features), pred_contrib=True)[:, :-1]

    def model_to_string(self) -> str:
        """LightGBM's text model of the trees used."""
        return self.booster_.model_to_string()

    @classmethod
    def from_model_string(
        cls, text: str, parameters: dict[str, Any]
    ) -> LightGBMClassifier:
        """The fitted classifier of a text model, for prediction and contributions."""
        model = cls(**parameters)
        model._Booster = lightgbm.Booster(model_str=text)
        model._n_features = model._Booster.num_feature()
        model._n_features_in = model._n_features
        model._classes = np.array([0, 1])
        model._n_classes = 2
        model.fitted_ = True
        return model


_CATBOOST_PARAMETERS = tuple(
    name
    for name in inspect.signature(catboost.CatBoostClassifier.__init__).parameters
    if name != "self"
)


class CatBoostClassifier(catboost.CatBoostClassifier):
    """``catboost.CatBoostClassifier`` as the modelling template reads it (see
    module). Unset parameters read None, which CatBoost takes as its default."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: self._init_params.get(name) for name in _CATBOOST_PARAMETERS}

    def fit(
        self, X: Any, y: Any, eval_set: Any = None, verbose: bool = False, **kwargs
    ) -> CatBoostClassifier:
        if eval_set is not None:
            eval_set = [(_matrix(x), np.asarray(t)) for x, t in eval_set]
        super().fit(_matrix(X), np.asarray(y), eval_set=eval_set, verbose=verbose)
        return self

    @property
    def best_iteration(self) -> int:
        """0-based index of the last tree used."""
        best = self.get_best_iteration()
        return int(best if best is not None else self.tree_count_ - 1)

    def predict_proba(self, X: Any, **kwargs) -> np.ndarray:
        return super().predict_proba(_matrix(X), **kwargs)

    @property
    def feature_importances_(self) -> np.ndarray:
        # CatBoost's own property reads None once a model is loaded from its file.
        return np.asarray(
            self.get_feature_importance(type="PredictionValuesChange"),
            dtype="float64",
        )

    importance_method = "CatBoost PredictionValuesChange"
    contribution_method = CATBOOST_METHOD

    def contributions(self, features: Any) -> np.ndarray:
        values = self.get_feature_importance(
            catboost.Pool(_matrix(features)), type="ShapValues"
        )
        return np.asarray(values)[:, :-1]
