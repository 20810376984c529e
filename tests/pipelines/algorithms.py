"""Small algorithm blocks: the project's algorithms, fitted in seconds."""

from __future__ import annotations

from typing import Any

SMALL_ALGORITHMS: dict[str, dict[str, Any]] = {
    "xgboost": {
        "estimator": "xgboost.XGBClassifier",
        "hyperparameters": {
            "tree_method": "hist",
            "n_estimators": 200,
            "learning_rate": 0.1,
            "max_depth": 3,
            "eval_metric": "auc",
            # One thread: OpenMP threads crawl on a busy machine.
            "n_jobs": 1,
        },
        "class_imbalance": "scale_pos_weight",
        "early_stopping_rounds": 10,
        "search": {"method": "none"},
    },
    "random_forest": {
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        # Two threads: their summing order must not change the probabilities.
        "hyperparameters": {"n_estimators": 20, "min_samples_leaf": 10, "n_jobs": 2},
        "class_imbalance": "balanced_subsample",
        "search": {"method": "none"},
    },
    "decision_tree": {
        "estimator": "sklearn.tree.DecisionTreeClassifier",
        "hyperparameters": {"max_depth": 4, "min_samples_leaf": 20},
        "class_imbalance": "balanced",
    },
    "scorecard": {
        "estimator": "loan_default.model.scorecard.WoEScorecard",
        "hyperparameters": {"max_n_prebins": 5, "max_n_characteristics": 10},
    },
}
