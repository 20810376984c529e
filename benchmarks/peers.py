"""The champion against the tools a user would pick instead, on the same files.

Reads the project's own configuration and files through a KedroSession: the
parameters of the run (``--env``, ``--params`` as ``kedro run`` takes them) and
the model-input files the data_engineering pipeline wrote (train, validation,
test). In one run it fits, and reports test AUC and fit time for:

- the project's champion configuration: the algorithm block the champion rule of
  the parameters picks from the last run's ``validation_results.csv`` (or
  ``--champion``), fitted by the modelling pipeline's own ``fit_model``;
- the project's LightGBM and CatBoost blocks (``conf/boosters``), the same way;
- LightGBM and CatBoost as a user would run them: the libraries' defaults,
  early stopping on the validation file, on the project's model input;
- a plain LightGBM on the raw application columns (``application_validated``),
  no feature engineering: text columns as LightGBM's own categories.

LightGBM and CatBoost rows need the boosters extra (``pip install -e
".[boosters]"``); without it they say so. Every fit has the cores the base
XGBoost block has (its ``n_jobs``).

    kedro run --params synthetic_n_applications=307511 --pipelines data_engineering
    python benchmarks/peers.py [--champion xgboost] [--env base]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from kedro.config import OmegaConfigLoader
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from sklearn.metrics import roc_auc_score

from loan_default.pipelines.modelling.nodes import (
    fit_model,
    select_champion,
    split_features_target,
)
from loan_default.schema import APPLICATION, APPLICATION_ID, TARGET

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BOOSTERS_ENV = "boosters"
EARLY_STOPPING_ROUNDS = 50
MAX_ROUNDS = 5_000


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def positive_probability(model: Any, features: Any) -> np.ndarray:
    return np.asarray(model.predict_proba(features), dtype="float64")[:, 1]


class Project:
    """The run's parameters and catalog, as ``kedro run`` sees them."""

    def __init__(self, env: str | None, runtime_params: dict[str, Any]) -> None:
        bootstrap_project(PROJECT_ROOT)
        self.session = KedroSession.create(
            project_path=PROJECT_ROOT, env=env, runtime_params=runtime_params
        )
        context = self.session.load_context()
        self.parameters = context.params
        self.catalog = context.catalog
        self.conf_source = str(PROJECT_ROOT / context.config_loader.conf_source)

    def booster_blocks(self) -> dict[str, Any]:
        """The boosters environment's algorithm blocks, from its own file."""
        loader = OmegaConfigLoader(
            self.conf_source, base_env="base", default_run_env=BOOSTERS_ENV
        )
        return dict(loader["parameters"]["algorithms"])

    def champion_name(self, requested: str | None) -> tuple[str, str]:
        if requested:
            return requested, "--champion"
        if self.catalog.exists("validation_results"):
            results = self.catalog.load("validation_results")
            name = select_champion(results, self.parameters["champion"])
            return name, "the champion rule on the last run's validation_results.csv"
        return "xgboost", "no validation_results.csv yet: the xgboost block"

    def threads(self) -> int:
        hyper = self.parameters["algorithms"]["xgboost"].get("hyperparameters", {})
        return int(hyper.get("n_jobs") or os.cpu_count() or 1)


def fit_block(
    name: str, block: dict[str, Any], splits: dict[str, pd.DataFrame], modelling: dict
) -> tuple[float, float, str]:
    """Test AUC and fit seconds of an algorithm block, fitted as modelling fits it."""
    model, summary = fit_model(
        splits["train"], splits["validation"], block, modelling, name
    )
    features, target = split_features_target(splits["test"], "test")
    auc = roc_auc_score(target, positive_probability(model, features))
    stopped = summary["early_stopping"].get("n_trees_used")
    note = f"{summary['n_features']} features" + (
        f", {stopped} trees" if stopped else ""
    )
    return auc, summary["fit_seconds"], note


def fit_default_lightgbm(
    train: tuple, validation: tuple, test: tuple, threads: int, seed: int
) -> tuple[float, float, str]:
    import lightgbm  # noqa: PLC0415  (an optional extra)

    model = lightgbm.LGBMClassifier(
        n_estimators=MAX_ROUNDS,
        learning_rate=0.05,
        n_jobs=threads,
        random_state=seed,
        verbose=-1,
    )
    started = time.perf_counter()
    model.fit(
        *train,
        eval_set=[validation],
        eval_metric="auc",
        callbacks=[
            lightgbm.early_stopping(
                EARLY_STOPPING_ROUNDS, first_metric_only=True, verbose=False
            )
        ],
    )
    seconds = time.perf_counter() - started
    auc = roc_auc_score(test[1], positive_probability(model, test[0]))
    return auc, seconds, f"{train[0].shape[1]} columns, {model.best_iteration_} trees"


def fit_default_catboost(
    train: tuple, validation: tuple, test: tuple, threads: int, seed: int
) -> tuple[float, float, str]:
    import catboost  # noqa: PLC0415  (an optional extra)

    model = catboost.CatBoostClassifier(
        eval_metric="AUC",
        thread_count=threads,
        random_seed=seed,
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        allow_writing_files=False,
        verbose=False,
    )
    started = time.perf_counter()
    model.fit(*train, eval_set=validation, use_best_model=True)
    seconds = time.perf_counter() - started
    auc = roc_auc_score(test[1], positive_probability(model, test[0]))
    return (
        auc,
        seconds,
        f"{train[0].shape[1]} columns, {model.get_best_iteration() + 1} trees",
    )


def raw_columns(
    application: pd.DataFrame, model_input: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series]:
    """The raw application columns of a split's applicants, in the split's order;
    text columns as categories (LightGBM's own encoding), nothing engineered."""
    rows = application.set_index(APPLICATION_ID).loc[model_input[APPLICATION_ID]]
    target = rows[TARGET].astype("int64")
    features = rows.drop(columns=[TARGET])
    text = set(APPLICATION.columns_of("string"))
    for name in features.columns:
        kind = "category" if name in text else "float64"
        features[name] = features[name].astype(kind)
    return features.reset_index(drop=True), target.reset_index(drop=True)


def aligned_categories(splits: list[pd.DataFrame]) -> None:
    """The same category levels in every split (the train split's, others NaN)."""
    for name in splits[0].columns:
        if isinstance(splits[0][name].dtype, pd.CategoricalDtype):
            levels = splits[0][name].cat.categories
            for split in splits[1:]:
                split[name] = pd.Categorical(split[name], categories=levels)


def run(arguments: argparse.Namespace) -> list[tuple[str, str, Any]]:
    runtime_params = dict(item.split("=", 1) for item in arguments.params)
    project = Project(arguments.env, runtime_params)
    parameters = project.parameters
    modelling = parameters["modelling"]
    seed = int(modelling["random_state"])
    threads = project.threads()
    load = project.catalog.load
    splits = {
        name: load(f"model_input_{name}") for name in ("train", "validation", "test")
    }
    print(
        f"{os.cpu_count()} cores, {threads} threads per fit; model input "
        f"{', '.join(f'{name} {len(frame):,}' for name, frame in splits.items())} "
        f"rows; load average {load_average()}"
    )
    champion, why = project.champion_name(arguments.champion)
    print(f"champion configuration: the {champion} block ({why})")

    rows: list[tuple[str, str, Any]] = []

    def measure(label: str, what: str, fit: Callable[[], tuple]) -> None:
        try:
            auc, seconds, note = fit()
        except ImportError as error:
            rows.append((label, what, f"not installed ({error.name})"))
            return
        rows.append((label, what, (auc, seconds, note)))
        print(f"  {label}: test AUC {auc:.4f}, fit {seconds:.1f} s ({note})")

    measure(
        f"project {champion} (champion)",
        "project block, model input",
        lambda: fit_block(
            champion, parameters["algorithms"][champion], splits, modelling
        ),
    )
    boosters = project.booster_blocks() if installed("lightgbm") else {}
    for name in ("lightgbm", "catboost"):
        if name in boosters and installed(name):
            measure(
                f"project {name} block",
                "conf/boosters block, model input",
                lambda name=name: fit_block(name, boosters[name], splits, modelling),
            )
    model_input = {
        name: split_features_target(frame, name) for name, frame in splits.items()
    }
    arrays = tuple(model_input[name] for name in ("train", "validation", "test"))
    measure(
        "LightGBM, defaults, lr 0.05, early stopping",
        "library defaults, model input",
        lambda: fit_default_lightgbm(*arrays, threads, seed),
    )
    measure(
        "CatBoost, defaults, early stopping",
        "library defaults, model input",
        lambda: fit_default_catboost(*arrays, threads, seed),
    )
    application = load("application_validated")
    raw = [raw_columns(application, splits[name]) for name in splits]
    aligned_categories([features for features, _ in raw])
    measure(
        "plain LightGBM, raw columns",
        "application columns as delivered, no feature engineering",
        lambda: fit_default_lightgbm(*raw, threads, seed),
    )
    return rows


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def table(rows: list[tuple[str, str, Any]]) -> str:
    lines = ["| model | inputs | test AUC | fit | notes |", "|---|---|---|---|---|"]
    for label, what, result in rows:
        if isinstance(result, str):
            lines.append(f"| {label} | {what} | | | {result} |")
            continue
        auc, seconds, note = result
        lines.append(f"| {label} | {what} | {auc:.4f} | {seconds:.1f} s | {note} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--champion", help="an algorithm block of the parameters")
    parser.add_argument("--env", default=None, help="as kedro run --env")
    parser.add_argument(
        "--params", nargs="*", default=[], help="as kedro run --params, key=value"
    )
    arguments = parser.parse_args()
    for name in ("kedro", "loan_default", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Kedro's config loader calls a deprecated OmegaConf function: not ours to fix.
    warnings.filterwarnings("ignore", "register_new_resolver", UserWarning)
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
    rows = run(arguments)
    print()
    print(table(rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
