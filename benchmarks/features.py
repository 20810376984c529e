"""Feature and tuning benchmarks: which candidate features help on validation, and the
champion against CatBoost and the oracle on the same files.

    python benchmarks/features.py                     # ablation and targets, full scale
    python benchmarks/features.py --parts ablation --applications 50000
    python benchmarks/features.py --parts targets --repeats 3
    python benchmarks/features.py --parts tuning

Parts:
- ablation: one ``kedro run --pipelines data_engineering``, then, on its cleaned
  tables and its split, the base XGBoost block refitted on the features without the
  candidates (the baseline) and on the baseline plus each candidate group. Prints
  each group's VALIDATION AUC and its delta to the baseline: the test split is not
  read. Kept groups are the project's own columns (``loan_default.features``);
  rejected groups are built here, so the table can be re-measured.
- tuning: on the same baseline features, the xgboost block as it was before the
  first search with one change at a time (``TUNING``), then the depth-2 block it
  chose with one change at a time (``TUNING_DEPTH_2``): validation AUC and fit
  seconds.
- targets: the default ``kedro run``, then on that run's own model-input files
  CatBoost with its defaults and early stopping on the validation split; the oracle
  AUC (the generator's true probability) on the same validation and test rows. Also
  the seconds of the data_engineering stage and of each XGBoost fit (medians over
  ``--repeats`` runs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost
from sklearn.metrics import roc_auc_score

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))

from modelling import (  # noqa: E402  (the same project copies and timed runs)
    FULL_SIZE,
    load_average,
    new_project,
    run,
)
from peers import fit_default_catboost  # noqa: E402  (one way to fit CatBoost)

from loan_default.features import (  # noqa: E402
    FeatureTransformer,
    aggregate_previous_applications,
    build_applicant_features,
)
from loan_default.pipelines.reporting.nodes import oracle_auc  # noqa: E402
from loan_default.schema import APPLICATION_ID, TARGET  # noqa: E402
from tests.project import project_parameters  # noqa: E402

SPLITS = ("train", "validation", "test")
KEY = APPLICATION_ID
EXT_SOURCES = ["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]


# --- candidate feature groups -------------------------------------------------------
# Each builds its columns from the cleaned tables (indexed by SK_ID_CURR); groupings
# that need statistics of other applicants learn them on the train split only.

Candidate = Callable[[pd.DataFrame, pd.DataFrame, pd.Index], pd.DataFrame]


def _ratio(top: object, bottom: object) -> np.ndarray:
    top, bottom = np.asarray(top, float), np.asarray(bottom, float)
    with np.errstate(all="ignore"):
        valid = np.isfinite(top) & np.isfinite(bottom) & (bottom != 0)
        return np.where(valid, top / np.where(valid, bottom, 1.0), np.nan)


def _sorted_history(previous: pd.DataFrame) -> pd.core.groupby.DataFrameGroupBy:
    return previous.sort_values([KEY, "DAYS_DECISION", "SK_ID_PREV"]).groupby(KEY)


def annual_rate(credit: object, annuity: object, payments: object) -> np.ndarray:
    """The yearly rate at which ``payments`` monthly annuities repay ``credit``
    (Newton's method on the annuity formula); missing when it has no solution."""
    credit, annuity, payments = (
        np.asarray(v, float) for v in (credit, annuity, payments)
    )
    solvable = (
        (credit > 0) & (annuity > 0) & (payments > 0) & (annuity * payments > credit)
    )
    rate = np.where(
        solvable, 2 * (annuity * payments / credit - 1) / (payments + 1), np.nan
    )
    with np.errstate(all="ignore"):
        for _ in range(20):
            discount = (1 + rate) ** -payments
            value = credit * rate / (1 - discount) - annuity
            slope = (
                credit
                * ((1 - discount) - rate * payments * (1 + rate) ** (-payments - 1))
                / (1 - discount) ** 2
            )
            rate = rate - value / slope
    return np.where(solvable, 12 * rate, np.nan)


def credit_minus_goods(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    return pd.DataFrame(
        {"CREDIT_GOODS_DIFFERENCE": app.AMT_CREDIT - app.AMT_GOODS_PRICE}
    )


def ext_source_weighted_mean(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    scores = app[EXT_SOURCES].to_numpy(float)
    weights = np.array([2.0, 1.0, 3.0])  # a Home Credit winners' weighting
    known = ~np.isnan(scores)
    return pd.DataFrame(
        {
            "EXT_SOURCE_WEIGHTED": _ratio(
                (np.nan_to_num(scores) * weights).sum(1), (known * weights).sum(1)
            )
        },
        index=app.index,
    )


def ext_source_pair_products(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    s1, s2, s3 = (app[name] for name in EXT_SOURCES)
    return pd.DataFrame(
        {
            "EXT_SOURCE_1x2": s1 * s2,
            "EXT_SOURCE_1x3": s1 * s3,
            "EXT_SOURCE_2x3": s2 * s3,
        }
    )


def ext_source_by_age_and_term(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    mean = app[EXT_SOURCES].mean(axis=1)
    return pd.DataFrame(
        {
            "EXT_SOURCE_MEAN_x_AGE": mean * -app.DAYS_BIRTH,
            "EXT_SOURCE_MEAN_x_TERM": mean * _ratio(app.AMT_CREDIT, app.AMT_ANNUITY),
        },
        index=app.index,
    )


def income_per_person(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    per_person = _ratio(app.AMT_INCOME_TOTAL, app.CNT_FAM_MEMBERS)
    return pd.DataFrame(
        {
            "INCOME_PER_PERSON": per_person,
            "ANNUITY_PER_PERSON_INCOME": _ratio(app.AMT_ANNUITY, per_person),
        },
        index=app.index,
    )


def previous_interest_rate(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    prev = prev.assign(
        RATE=annual_rate(prev.AMT_CREDIT, prev.AMT_ANNUITY, prev.CNT_PAYMENT)
    )
    history = _sorted_history(prev).RATE
    return pd.DataFrame(
        {
            "PREV_INTEREST_RATE_MEAN": history.mean(),
            "PREV_INTEREST_RATE_MAX": history.max(),
            "PREV_INTEREST_RATE_MIN": history.min(),
            "PREV_INTEREST_RATE_LAST": history.last(),
        }
    )


def previous_simple_rate(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    paid = _ratio(prev.AMT_ANNUITY * prev.CNT_PAYMENT, prev.AMT_CREDIT)
    history = _sorted_history(prev.assign(RATE=_ratio(paid - 1, prev.CNT_PAYMENT))).RATE
    return pd.DataFrame(
        {
            "PREV_SIMPLE_RATE_MEAN": history.mean(),
            "PREV_SIMPLE_RATE_MAX": history.max(),
            "PREV_SIMPLE_RATE_LAST": history.last(),
        }
    )


def previous_credit_minus_goods(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    history = prev.assign(GAP=prev.AMT_CREDIT - prev.AMT_GOODS_PRICE).groupby(KEY)
    return pd.DataFrame(
        {
            "PREV_CREDIT_GOODS_DIFFERENCE_MEAN": history.GAP.mean(),
            "PREV_RATE_DOWN_PAYMENT_MEAN": history.RATE_DOWN_PAYMENT.mean(),
        }
    )


def previous_approved_and_active(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    approved = prev[prev.NAME_CONTRACT_STATUS == "Approved"]
    running = approved[approved.DAYS_LAST_DUE_1ST_VERSION > 0].groupby(KEY)
    approved = approved.groupby(KEY)
    return pd.DataFrame(
        {
            "PREV_APPROVED_CREDIT_MEAN": approved.AMT_CREDIT.mean(),
            "PREV_APPROVED_ANNUITY_MEAN": approved.AMT_ANNUITY.mean(),
            "PREV_APPROVED_CNT_PAYMENT_MEAN": approved.CNT_PAYMENT.mean(),
            "PREV_RUNNING_ANNUITY_SUM": running.AMT_ANNUITY.sum(),
            "PREV_RUNNING_COUNT": running.size(),
        }
    )


def previous_yield_group_shares(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    levels = prev.NAME_YIELD_GROUP.astype(object).fillna("missing")
    return pd.crosstab(prev[KEY], levels, normalize="index").add_prefix(
        "PREV_YIELD_SHARE_"
    )


def previous_last_application(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    history = _sorted_history(prev)
    return pd.DataFrame(
        {
            "PREV_LAST_AMT_CREDIT": history.AMT_CREDIT.last(),
            "PREV_LAST_AMT_ANNUITY": history.AMT_ANNUITY.last(),
            "PREV_LAST_CNT_PAYMENT": history.CNT_PAYMENT.last(),
            "PREV_LAST_CONTRACT_TYPE": history.NAME_CONTRACT_TYPE.last(),
        }
    )


def previous_reject_reasons(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    reasons = prev.CODE_REJECT_REASON.astype(object).fillna("missing")
    return pd.crosstab(prev[KEY], reasons).add_prefix("PREV_COUNT_REJECT_")


def region_grouping(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    # REGION_POPULATION_RELATIVE identifies a region: its train median income and size.
    region = app.REGION_POPULATION_RELATIVE
    learnt = app.loc[train].groupby("REGION_POPULATION_RELATIVE")
    return pd.DataFrame(
        {
            "INCOME_TO_REGION_MEDIAN": _ratio(
                app.AMT_INCOME_TOTAL, region.map(learnt.AMT_INCOME_TOTAL.median())
            ),
            "REGION_TRAIN_COUNT": region.map(learnt.size()).astype(float),
        },
        index=app.index,
    )


def organization_grouping(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    medians = app.loc[train].groupby("ORGANIZATION_TYPE").AMT_INCOME_TOTAL.median()
    organization = app.ORGANIZATION_TYPE.astype(object).map(medians).astype(float)
    return pd.DataFrame(
        {"INCOME_TO_ORGANIZATION_MEDIAN": _ratio(app.AMT_INCOME_TOTAL, organization)},
        index=app.index,
    )


def credit_against_history(
    app: pd.DataFrame, prev: pd.DataFrame, train: pd.Index
) -> pd.DataFrame:
    history = prev.groupby(KEY)
    return pd.DataFrame(
        {
            "CREDIT_TO_PREV_CREDIT_MEAN": _ratio(
                app.AMT_CREDIT, history.AMT_CREDIT.mean().reindex(app.index)
            ),
            "ANNUITY_TO_PREV_ANNUITY_MEAN": _ratio(
                app.AMT_ANNUITY, history.AMT_ANNUITY.mean().reindex(app.index)
            ),
        },
        index=app.index,
    )


REJECTED: dict[str, Candidate] = {
    "credit minus goods price": credit_minus_goods,
    "EXT_SOURCE weighted mean (2, 1, 3)": ext_source_weighted_mean,
    "EXT_SOURCE pairwise products": ext_source_pair_products,
    "EXT_SOURCE mean x age, x loan term": ext_source_by_age_and_term,
    "income per family member": income_per_person,
    "previous interest rate (annuity formula)": previous_interest_rate,
    "previous simple rate": previous_simple_rate,
    "previous credit minus goods, down payment": previous_credit_minus_goods,
    "previous approved and running loans": previous_approved_and_active,
    "previous yield group shares": previous_yield_group_shares,
    "previous last application": previous_last_application,
    "previous reject reasons": previous_reject_reasons,
    "region grouping (REGION_POPULATION_RELATIVE)": region_grouping,
    "organization grouping": organization_grouping,
    "credit against previous credits": credit_against_history,
}
"""Candidate groups measured and not kept (see docs/features.md)."""

KEPT: dict[str, list[str]] = {}
"""Candidate groups kept: the project's own feature columns of each."""


# --- ablation -----------------------------------------------------------------------


def split_ids(project: Path) -> dict[str, pd.DataFrame]:
    folder = project / "data" / "05_model_input"
    return {
        split: pd.read_parquet(folder / f"{split}.parquet", columns=[KEY, TARGET])
        for split in SPLITS
    }


def xgboost_validation_auc(
    features: pd.DataFrame,
    ids: dict[str, pd.DataFrame],
    params: dict,
    changes: dict | None = None,
) -> tuple[float, float]:
    """The xgboost block (its hyperparameters updated by ``changes``) refitted on
    ``features``: validation AUC and fit seconds."""
    block = params["algorithms"]["xgboost"]
    hyperparameters = {**block["hyperparameters"], **(changes or {})}
    indexed = features.set_index(KEY)
    parts = {s: indexed.loc[ids[s][KEY]].reset_index() for s in ("train", "validation")}
    transformer = FeatureTransformer(**params["transformer"]).fit(parts["train"])
    x = {s: transformer.transform(parts[s]) for s in parts}
    y = {s: ids[s][TARGET].to_numpy() for s in parts}
    model = xgboost.XGBClassifier(
        **hyperparameters,
        random_state=params["modelling"]["random_state"],
        scale_pos_weight=(y["train"] == 0).sum() / (y["train"] == 1).sum(),
        early_stopping_rounds=block["early_stopping_rounds"],
    )
    started = time.perf_counter()
    model.fit(
        x["train"],
        y["train"],
        eval_set=[(x["validation"], y["validation"])],
        verbose=False,
    )
    seconds = time.perf_counter() - started
    return roc_auc_score(
        y["validation"], model.predict_proba(x["validation"])[:, 1]
    ), seconds


def engineered_data(size: int, params: dict) -> tuple:
    """One data_engineering run: cleaned applications and history (indexed and as
    read), the applicant features by SK_ID_CURR and the split's ids and targets."""
    with tempfile.TemporaryDirectory() as folder:
        project = new_project(Path(folder))
        run(project, size, "--pipelines", "data_engineering")
        primary = project / "data" / "03_primary"
        application = pd.read_parquet(primary / "application.parquet")
        previous = pd.read_parquet(primary / "previous_application.parquet")
        ids = split_ids(project)
    features = build_applicant_features(
        application,
        aggregate_previous_applications(previous, params["features"]),
        params["features"],
    ).set_index(KEY)
    return application, previous, features, ids


def part_ablation(size: int) -> None:
    print(f"\n[a] candidate features, {size:,} applications: XGBoost validation AUC")
    params = project_parameters()
    application, previous, features, ids = engineered_data(size, params)
    new_columns = [column for columns in KEPT.values() for column in columns]
    baseline = features.drop(columns=new_columns)
    indexed = application.set_index(KEY)
    train = pd.Index(ids["train"][KEY])
    rows = []
    base_auc, base_seconds = xgboost_validation_auc(baseline.reset_index(), ids, params)
    rows.append(
        ("baseline (features before this change)", "", 0, base_auc, base_seconds)
    )
    groups = {name: ("kept", features[columns]) for name, columns in KEPT.items()}
    for name, build in REJECTED.items():
        groups[name] = ("rejected", build(indexed, previous, train))
    if KEPT:
        groups["all kept groups"] = ("kept", features[new_columns])
    for name, (verdict, columns) in groups.items():
        auc, seconds = xgboost_validation_auc(
            baseline.join(columns, how="left").reset_index(), ids, params
        )
        rows.append((name, verdict, columns.shape[1], auc, seconds))
        print(f"{name}: {auc:.4f} ({auc - base_auc:+.4f})", flush=True)
    table = pd.DataFrame(
        rows, columns=["group", "verdict", "columns", "validation AUC", "fit s"]
    )
    table["delta"] = table["validation AUC"] - base_auc
    print(table.round(4).to_string(index=False))


# --- tuning -------------------------------------------------------------------------

BLOCK_BEFORE = {"max_depth": 4, "n_estimators": 600, "max_bin": 64}
"""The xgboost block's hyperparameters before the search that differ from now."""

BLOCK_DEPTH_2 = {"max_bin": 64}
"""The block after the first search (depth 2), before the second one."""

TUNING = [
    {},
    {"max_depth": 5},
    {"max_depth": 6, "min_child_weight": 20},
    {"learning_rate": 0.03, "n_estimators": 1500},
    {"colsample_bytree": 0.3},
    {"max_bin": 256},
    {"max_depth": 3, "n_estimators": 2000},
    {"max_depth": 3, "learning_rate": 0.1, "n_estimators": 2000},
    {"max_depth": 3, "colsample_bytree": 0.8, "n_estimators": 2000},
    {"max_depth": 3, "min_child_weight": 50, "n_estimators": 2000},
    {"max_depth": 2, "learning_rate": 0.1, "n_estimators": 3000},
    {"max_depth": 2, "learning_rate": 0.05, "n_estimators": 4000},
]
"""Changes to the block as it was (``BLOCK_BEFORE``), tried in this order."""

TUNING_DEPTH_2 = [
    {},
    {"max_bin": 16},
    {"max_bin": 32},
    {"learning_rate": 0.1},
    {"subsample": 0.5},
    {"colsample_bytree": 0.3},
]
"""The second search: changes to the depth-2 block (``BLOCK_DEPTH_2``)."""


def part_tuning(size: int) -> None:
    print(f"\n[c] XGBoost hyperparameters, {size:,} applications: validation AUC")
    params = project_parameters()
    _, _, features, ids = engineered_data(size, params)
    new_columns = [column for columns in KEPT.values() for column in columns]
    baseline = features.drop(columns=new_columns).reset_index()
    for block, search in ((BLOCK_BEFORE, TUNING), (BLOCK_DEPTH_2, TUNING_DEPTH_2)):
        print(f"changes to {json.dumps(block)}:")
        for changes in search:
            auc, seconds = xgboost_validation_auc(
                baseline, ids, params, {**block, **changes}
            )
            print(
                f"{json.dumps(changes) if changes else 'none'}: {auc:.4f} ({seconds:.1f} s)"
            )


# --- targets ------------------------------------------------------------------------


def catboost_aucs(project: Path) -> dict[str, float]:
    """CatBoost as peers.py fits it (defaults, early stopping on validation), on the
    run's own model-input files: its validation and test AUC and fit seconds."""
    folder = project / "data" / "05_model_input"
    frames = {s: pd.read_parquet(folder / f"{s}.parquet") for s in SPLITS}
    arrays = {
        s: (
            frames[s].drop(columns=[KEY, TARGET]).to_numpy(),
            frames[s][TARGET].to_numpy(),
        )
        for s in SPLITS
    }
    params = project_parameters()
    threads = params["algorithms"]["xgboost"]["hyperparameters"]["n_jobs"]
    seed = params["modelling"]["random_state"]
    figures = {}
    for split in ("validation", "test"):
        auc, seconds, _ = fit_default_catboost(
            arrays["train"], arrays["validation"], arrays[split], threads, seed
        )
        figures[split] = auc
    return {**figures, "fit_seconds": seconds}


def champion_and_oracle(project: Path) -> dict:
    data = project / "data"
    champion = json.loads(
        (data / "06_models" / "champion" / "champion_name.json").read_text()
    )
    metrics = json.loads(
        (data / "07_model_output" / champion / "metrics.json").read_text()
    )
    source = json.loads((data / "02_intermediate" / "data_source.json").read_text())
    truth = pd.read_parquet(
        data / "02_intermediate" / "true_default_probability.parquet"
    )
    oracle = {}
    for split in ("validation", "test"):
        rows = pd.read_parquet(
            data / "05_model_input" / f"{split}.parquet", columns=[KEY, TARGET]
        )
        oracle[split] = oracle_auc(source, truth, rows)
    return {
        "champion": champion,
        "validation": metrics["validation"]["roc_auc"],
        "test": metrics["test"]["roc_auc"],
        "oracle": oracle,
    }


def part_targets(size: int, repeats: int) -> None:
    print(f"\n[b] champion against CatBoost and the oracle, {size:,} applications")
    engineering, fits, runs = [], {}, []
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            project = new_project(Path(folder))
            result = run(project, size)
            runs.append(result["seconds"])
            engineering.append(result["stages"].get("data_engineering", float("nan")))
            for name in ("xgboost", "xgboost_monotone"):
                path = project / "data" / "07_model_output" / name / "metrics.json"
                fits.setdefault(name, []).append(
                    json.loads(path.read_text())["fit_seconds"]
                )
            if repeat == 0:
                figures = champion_and_oracle(project)
                catboost = catboost_aucs(project)
    print(
        f"kedro run: median {statistics.median(runs):.1f} s (runs "
        f"{', '.join(f'{s:.1f}' for s in runs)}); data_engineering nodes median "
        f"{statistics.median(engineering):.1f} s; "
        + "; ".join(
            f"{name} fit median {statistics.median(v):.1f} s"
            for name, v in fits.items()
        )
    )
    rows = [
        (f"champion ({figures['champion']})", figures["validation"], figures["test"]),
        (
            "CatBoost, defaults, early stopping",
            catboost["validation"],
            catboost["test"],
        ),
        (
            "oracle (true probability)",
            figures["oracle"]["validation"],
            figures["oracle"]["test"],
        ),
    ]
    print(
        pd.DataFrame(rows, columns=["model", "validation AUC", "test AUC"])
        .round(4)
        .to_string(index=False)
    )
    print(f"CatBoost fit {catboost['fit_seconds']:.1f} s")
    oracle = figures["oracle"]["test"]
    beats = figures["test"] >= catboost["test"]
    close = figures["test"] >= oracle - 0.003
    print(
        f"target champion test AUC >= CatBoost's: {'met' if beats else 'MISSED'}; "
        f"within 0.003 of the oracle ({oracle - figures['test']:.4f}): "
        f"{'met' if close else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default="ablation,targets")
    parser.add_argument("--applications", type=int, default=FULL_SIZE)
    parser.add_argument("--repeats", type=int, default=1)
    options = parser.parse_args()
    parts = options.parts.split(",")
    unknown = set(parts) - {"ablation", "targets", "tuning"}
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}")
    print(f"load average {load_average()} (1, 5, 15 min)")
    if "ablation" in parts:
        part_ablation(options.applications)
    if "tuning" in parts:
        part_tuning(options.applications)
    if "targets" in parts:
        part_targets(options.applications, options.repeats)
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
