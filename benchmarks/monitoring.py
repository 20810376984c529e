"""Time a full-scale monitoring run against Evidently's data-drift preset, and measure
how often the estimated AUC's 95% interval holds the realised AUC.

**Full scale.** A 307,511-row reference (the training table's size) against a
48,744-row batch, 134 numeric and 16 categorical features, generated here with numpy
so the figures do not depend on the feature-building code. Drift is planted in a few
features: a mean shift (act), a small shift (watch), a rise in missing values only,
and a categorical shift. The target is the whole computation under 15 s on 2 cores.

The run is the monitoring pipeline's checks and exports, everything downstream of
``monitoring_reference`` and ``monitoring_batch``, with SequentialRunner over the
project's monitoring catalog entries (files under a temporary folder, each check's
result written and read back as ``kedro run`` does; ``--in-memory`` keeps them in
memory, the computation alone). No model scored these frames, so the contributions
node is left out and its two tables are empty, as the pipeline makes them for an
estimator without contributions: importance stability and client profile are
skipped. ``benchmarks/scoring.py`` times the whole pipeline with a real champion.

**Coverage of the estimated performance.** An XGBoost fitted on the project's
feature path (unweighted logistic loss, stopped early on a held-out 30%: calibrated
probabilities) on a generated training population scores batches from the generator, whose outcomes
are known: half undrifted, half with a covariate drift (the outcomes still follow
the features), plus a few with concept drift (outcomes relabelled from a weaker
relation between features and default) to show where the estimate breaks. For each
batch: is the realised AUC (and default rate) inside the 95% interval of the
estimate made without the labels? The target is at least 90% of 50 batches.

    python benchmarks/monitoring.py [--repeats 3] [--evidently-python PYTHON]
                                    [--reference-rows 307511] [--batch-rows 48744]
                                    [--in-memory] [--coverage-batches 50]
                                    [--skip-timing] [--skip-coverage]

Evidently is not a project dependency. Install it into a separate environment, since
its current release does not import with pandas 3:

    python -m venv evidently-env
    evidently-env/bin/pip install "pandas<3" evidently pyarrow

and pass ``--evidently-python evidently-env/bin/python``; without it the comparison is
skipped with a message. The frames go to Evidently as Parquet files and its per-column
verdicts come back as JSON: its timing is of the drift computation only.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import generate_timestamp
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from loan_default.features import FeatureTransformer, build_features
from loan_default.monitoring.drift import numeric_psi
from loan_default.monitoring.estimates import estimated_performance
from loan_default.pipelines.monitoring import create_pipeline as monitoring_pipeline
from loan_default.pipelines.monitoring.nodes import compute_contributions
from loan_default.schema import TARGET
from loan_default.synthetic import generate_loan_data, generate_new_applications

CONF = Path(__file__).resolve().parents[1] / "conf"
PARAMETERS = CONF / "base" / "parameters_monitoring.yml"
FEATURE_PARAMETERS = CONF / "base" / "parameters_data_engineering.yml"
COVARIATE_DRIFTS = [
    {"shift": {"EXT_SOURCE_3": -0.1}},
    {"shift": {"EXT_SOURCE_2": -0.1}, "scale": {"AMT_INCOME_TOTAL": 0.8}},
    {"missing_rate": {"EXT_SOURCE_1": 0.9, "EXT_SOURCE_3": 0.5}},
    {"category_share": {"NAME_CONTRACT_TYPE": {"Revolving loans": 0.4}}},
    {"shift": {"EXT_SOURCE_3": 0.1, "EXT_SOURCE_2": 0.05}},
]
"""Covariate drifts cycled through the drifted batches: the features move, the
outcomes still follow them as in training."""
CONCEPT_WEAKENING = 0.5
"""Concept drift: outcomes drawn from the true log-odds times this (a weaker relation
between the features and default), the default rate kept."""
REFERENCE_ROWS, BATCH_ROWS = 307_511, 48_744
NUMERIC, CATEGORICAL = 134, 16
PLANTED = {
    "num_000": "mean shift of 0.75 sd",
    "num_001": "missing share 10% -> 30%, present values unchanged",
    "num_002": "mean shift of 0.15 sd",
    "cat_00": "level shares 50/30/15 -> 30/30/35",
}
SIDES = ("monitoring_reference", "monitoring_batch")
RESULTS = {
    "drift": "monitoring_drift",
    "metrics": "monitoring_metrics",
    "alerts": "monitoring_alert_table",
    "html": "monitoring_report",
}
"""The datasets printed after the runs, by the name the summary uses."""
CONTRIBUTIONS = ("monitoring_reference_contributions", "monitoring_batch_contributions")

EVIDENTLY_SCRIPT = """
import json, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
started = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
seconds = time.perf_counter() - started
drifted = {}
for metric in snapshot.dict()["metrics"]:
    config = metric.get("config", {})
    column = config.get("column")
    if column is not None and config.get("type", "").endswith("ValueDrift"):
        threshold = config.get("threshold")
        method = config.get("method")
        value = metric["value"]
        drifted[column] = {"value": value, "method": method, "threshold": threshold}
print(json.dumps({"seconds": seconds, "columns": drifted}))
"""


def generate_frame(rows: int, seed: int, drifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {"SK_ID_CURR": np.arange(rows)}
    for index in range(NUMERIC):
        kind = index % 4
        if index == 2:
            values = rng.normal(0.15 if drifted else 0.0, 1.0, rows)
        elif kind == 0:
            values = rng.normal(0.0, 1.0, rows)
        elif kind == 1:
            values = rng.lognormal(11.0, 0.5, rows)  # amounts: long right tail
        elif kind == 2:
            values = (rng.random(rows) < 0.1).astype("float64")  # flags: ties
        else:
            values = rng.poisson(2.0, rows).astype("float64")  # counts: ties
        if drifted and index == 0:
            values += 0.75
        missing = 0.3 if drifted and index == 1 else 0.1
        values[rng.random(rows) < missing] = np.nan
        columns[f"num_{index:03d}"] = values
    levels = np.array(["a", "b", "c", "d"], dtype=object)
    for index in range(CATEGORICAL):
        weights = (
            [0.3, 0.3, 0.35, 0.05] if drifted and index == 0 else [0.5, 0.3, 0.15, 0.05]
        )
        values = levels[rng.choice(4, rows, p=weights)]
        values[rng.random(rows) < 0.05] = None
        columns[f"cat_{index:02d}"] = pd.array(values, dtype="string")
    frame = pd.DataFrame(columns)
    logit = -2.5 + 0.5 * frame["num_000"].fillna(0).to_numpy()
    frame["PROBABILITY"] = 1 / (1 + np.exp(-logit))
    frame["RISK_DECILE"] = rng.integers(1, 11, rows)
    return frame


@dataclass(frozen=True)
class FrameModel:
    """What the checks and exports read of the champion when no model made the
    frames: a name and version for the report. The threshold and the test metrics
    only matter to the performance check, which needs outcomes these frames lack."""

    algorithm: str = "none"
    model_version: str = "generated frames"
    threshold: float = 0.5
    metadata: dict[str, Any] = field(default_factory=dict)


SCORING_SUMMARY = {
    "batch_source": {"kind": "synthetic", "seed": 1, "drift": ", ".join(PLANTED)},
    "rows_quarantined": 0,
}


def checks_pipeline() -> Pipeline:
    """The monitoring nodes downstream of the two scored frames, less the
    contributions node: no model made these frames."""
    downstream = monitoring_pipeline().from_inputs(*SIDES)
    return Pipeline(
        [node for node in downstream.nodes if node.func is not compute_contributions]
    )


class KeptDataset(MemoryDataset):
    """A ``MemoryDataset`` the runner cannot free after its last reader: the results
    printed after an in-memory run."""

    def _release(self) -> None:
        pass


def catalog_entries(
    root: Path, pipeline: Pipeline, in_memory: set[str]
) -> dict[str, dict]:
    """The project's catalog entries of the pipeline's datasets, files under
    ``root``; the ``in_memory`` ones are left out."""
    loader = OmegaConfigLoader(str(CONF), base_env="base", default_run_env="base")
    entries = {
        name: copy.deepcopy(entry)
        for name, entry in loader["catalog"].items()
        if name in pipeline.datasets() and name not in in_memory
    }
    for entry in entries.values():
        for key in ("filepath", "path"):  # a partitioned dataset has a path
            if key in entry:
                entry[key] = str(root / entry[key])
    return entries


def parameter_inputs(params: dict) -> dict[str, Any]:
    """``params:monitoring`` and each of its keys, as a Kedro session provides them."""
    return {
        "params:monitoring": params,
        **{f"params:monitoring.{key}": value for key, value in params.items()},
    }


def time_monitoring(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    params: dict,
    repeats: int,
    in_memory: bool,
) -> tuple[list[float], dict]:
    """Wall seconds per run, and the CPU seconds of the median run's process (all
    threads): on a shared machine the CPU figure shows the work, the wall one the wait."""
    pipeline = checks_pipeline()
    fixed = {
        "production_model": FrameModel(),
        "scoring_summary": SCORING_SUMMARY,
        **parameter_inputs(params),
    }
    # What the upstream nodes would have written: empty contributions are the
    # pipeline's own output for an estimator without them.
    frames = {
        SIDES[0]: reference,
        SIDES[1]: batch,
        **{name: pd.DataFrame() for name in CONTRIBUTIONS},
    }
    seconds, cpu_seconds = [], []
    with tempfile.TemporaryDirectory() as folder:
        entries = catalog_entries(Path(folder), pipeline, set(fixed))

        def new_catalog() -> DataCatalog:
            if in_memory:
                catalog = DataCatalog()
                for dataset in RESULTS.values():
                    catalog[dataset] = KeptDataset()
                # No earlier run: the history is this run's rows only.
                catalog["monitoring_history"] = MemoryDataset({})
            else:
                # A fresh save version per run, as each kedro run has.
                catalog = DataCatalog.from_config(
                    entries, save_version=generate_timestamp()
                )
            for name, value in ({**frames, **fixed} if in_memory else fixed).items():
                catalog[name] = MemoryDataset(value, copy_mode="assign")
            return catalog

        if not in_memory:
            catalog = new_catalog()
            for name, frame in frames.items():
                catalog.save(name, frame)
        for _ in range(repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            catalog = new_catalog()
            SequentialRunner().run(pipeline, catalog)
            seconds.append(time.perf_counter() - started)
            cpu_seconds.append(time.process_time() - cpu_started)
        outputs = {name: catalog.load(dataset) for name, dataset in RESULTS.items()}
    outputs["cpu_seconds"] = statistics.median(cpu_seconds)
    return seconds, outputs


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def run_evidently(
    python: str, reference: pd.DataFrame, batch: pd.DataFrame
) -> dict | None:
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / "reference.parquet", Path(folder) / "current.parquet"]
        for frame, path in zip((reference, batch), paths, strict=True):
            frame.to_parquet(path)
        result = subprocess.run(
            [python, "-c", EVIDENTLY_SCRIPT, *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
            env={"DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1"},
        )
    if result.returncode != 0:
        print(f"Evidently run failed:\n{result.stderr[-2000:]}")  # noqa: T201
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def evidently_drifted(column: dict) -> bool:
    """Evidently's verdict: statistical tests ("K-S p_value", ...) drift below the
    threshold, distances (Wasserstein, Jensen-Shannon) at or above it."""
    if "p_value" in str(column["method"]):
        return column["value"] < column["threshold"]
    return column["value"] >= column["threshold"]


def compare_with_evidently(
    python: str,
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    drift: pd.DataFrame,
    seconds: list[float],
) -> None:
    """Evidently's DataDriftPreset on the same features: its time and verdicts."""
    features = list(drift.index)
    result = run_evidently(python, reference[features], batch[features])
    if result is None:
        return
    theirs = {
        name: evidently_drifted(column) for name, column in result["columns"].items()
    }
    ours = (drift["verdict"] != "ok").to_dict()
    compared = [name for name in features if name in theirs]
    disagree = [name for name in compared if theirs[name] != ours[name]]
    print(  # noqa: T201
        f"Evidently DataDriftPreset: {result['seconds']:.2f} s (one run); "
        f"wall-time ratio Evidently / ours = "
        f"{result['seconds'] / statistics.median(seconds):.2f}\n"
        f"  verdicts (drifted = our watch or act) agree on "
        f"{len(compared) - len(disagree)} of {len(compared)} features"
    )
    for name in disagree:
        column = result["columns"][name]
        print(  # noqa: T201
            f"  {name}: ours {drift.loc[name, 'verdict']} (PSI "
            f"{drift.loc[name, 'psi']:.3f}), Evidently "
            f"{'drift' if theirs[name] else 'no drift'} ({column['method']} "
            f"{column['value']}, threshold {column['threshold']})"
        )


# --- coverage of the estimated performance ---------------------------------------


@dataclass
class CoverageModel:
    """An XGBoost fitted on the project's features of a generated population."""

    transformer: FeatureTransformer
    estimator: Any
    parameters: dict

    def probability(self, application: pd.DataFrame, previous: pd.DataFrame):
        features = build_features(
            application,
            previous,
            self.parameters["cleaning"],
            self.parameters["features"],
        )
        encoded = self.transformer.transform(features)
        return self.estimator.predict_proba(encoded)[:, 1]


def fit_coverage_model(rows: int, seed: int) -> CoverageModel:
    """XGBoost with a logistic loss on 70% of a generated population, stopped early
    on the other 30%: probabilities right on new applicants, as the estimate needs
    (an over-fitted booster's are too confident, and its estimated AUC too high)."""
    import xgboost  # noqa: PLC0415 - only this part needs it

    with FEATURE_PARAMETERS.open() as stream:
        parameters = yaml.safe_load(stream)
    data = generate_loan_data(rows, seed=seed)
    features = build_features(
        data.application,
        data.previous_application,
        parameters["cleaning"],
        parameters["features"],
    )
    fit_rows = np.random.default_rng(seed).random(len(features)) < 0.7
    transformer = FeatureTransformer(
        parameters["transformer"]["min_category_frequency"]
    ).fit(features.loc[fit_rows])
    encoded, target = transformer.transform(features), features[TARGET]
    booster = xgboost.XGBClassifier(
        n_estimators=1000,
        max_depth=3,
        learning_rate=0.05,
        early_stopping_rounds=50,
        eval_metric="logloss",
        n_jobs=2,
        random_state=0,
    ).fit(
        encoded.loc[fit_rows],
        target[fit_rows],
        eval_set=[(encoded.loc[~fit_rows], target[~fit_rows])],
        verbose=False,
    )
    return CoverageModel(transformer, booster, parameters)


def _relabelled(truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Outcomes from a weaker relation between features and default (concept
    drift), the intercept moved so that the default rate stays about the same."""
    logit = np.log(truth / (1 - truth))
    weak = CONCEPT_WEAKENING * logit
    weak += np.log(truth.mean() / (1 - truth.mean())) - np.median(weak)
    return (rng.random(truth.size) < 1 / (1 + np.exp(-weak))).astype("int64")


def measure_coverage(
    batches: int, rows: int, training_rows: int, concept_batches: int, params: dict
) -> pd.DataFrame:
    """One row per batch: its kind, score PSI, estimated and realised AUC and
    default rate, and whether each realised figure lies in its interval."""
    model = fit_coverage_model(training_rows, seed=2024)
    reference = generate_new_applications(rows * 2, seed=9_999, with_target=True)
    reference_p = model.probability(
        reference.application, reference.previous_application
    )
    threshold = float(np.quantile(reference_p, 0.9))  # flag the riskiest tenth
    estimated = params["estimated_performance"]
    kinds = ["undrifted"] * (batches - batches // 2) + ["covariate drift"] * (
        batches // 2
    )
    kinds += ["concept drift"] * concept_batches
    rng = np.random.default_rng(7)
    results = []
    for index, kind in enumerate(kinds):
        drift = COVARIATE_DRIFTS[index % len(COVARIATE_DRIFTS)]
        batch = generate_new_applications(
            rows,
            seed=10_000 + index,
            drift=drift if kind == "covariate drift" else None,
            with_target=True,
        )
        p = model.probability(batch.application, batch.previous_application)
        labels = batch.application[TARGET].to_numpy()
        if kind == "concept drift":
            truth = batch.true_default_probability["TRUE_PD"].to_numpy()
            labels = _relabelled(truth, rng)
        table = estimated_performance(
            reference_p,
            p,
            threshold,
            estimated | {"seed": index},
            pd.Series(labels),
        ).set_index("metric")
        results.append(
            {
                "kind": kind,
                "score_psi": numeric_psi(reference_p, p),
                **{
                    f"{metric}_{column}": table.loc[metric, column]
                    for metric in ("roc_auc", "default_rate", "recall")
                    for column in ("estimate", "lower", "upper", "realised")
                },
                "auc_inside": bool(table.loc["roc_auc", "within_interval"]),
                "default_rate_inside": bool(
                    table.loc["default_rate", "within_interval"]
                ),
                "recall_inside": bool(table.loc["recall", "within_interval"]),
            }
        )
    return pd.DataFrame(results)


def report_coverage(results: pd.DataFrame, target: float = 0.9) -> None:
    labelled = results.loc[results["kind"] != "concept drift"]
    inside = labelled["auc_inside"].mean()
    print(  # noqa: T201
        f"estimated performance: {len(labelled)} batches of the generator, "
        f"realised AUC inside the estimate's 95% interval in {inside:.0%} "
        f"(target >= {target:.0%}: {'met' if inside >= target else 'NOT met'})"
    )
    summary = results.groupby("kind", sort=False).agg(
        batches=("kind", "size"),
        score_psi=("score_psi", "median"),
        auc_estimate=("roc_auc_estimate", "mean"),
        auc_realised=("roc_auc_realised", "mean"),
        auc_width=("roc_auc_upper", "mean"),
        auc_inside=("auc_inside", "mean"),
        default_rate_inside=("default_rate_inside", "mean"),
        recall_inside=("recall_inside", "mean"),
    )
    summary["auc_width"] -= results.groupby("kind", sort=False)["roc_auc_lower"].mean()
    with pd.option_context("display.width", 160, "display.precision", 3):
        print(summary.to_string())  # noqa: T201


def run_timing(arguments: argparse.Namespace, params: dict) -> None:
    reference = generate_frame(arguments.reference_rows, seed=0, drifted=False)
    batch = generate_frame(arguments.batch_rows, seed=1, drifted=True)
    seconds, outputs = time_monitoring(
        reference, batch, params, arguments.repeats, arguments.in_memory
    )
    drift = outputs["drift"].set_index("feature")
    median = statistics.median(seconds)
    print(  # noqa: T201
        f"monitoring: {len(reference):,} reference rows x {len(drift)} features "
        f"against {len(batch):,} rows, workers={params['workers']}, datasets "
        f"{'in memory' if arguments.in_memory else 'in the catalog files'}\n"
        f"  median {median:.2f} s over {len(seconds)} runs "
        f"(all: {', '.join(f'{value:.2f}' for value in seconds)}); target < 15 s "
        f"({'met' if median < 15 else 'NOT met'}); "
        f"median CPU {outputs['cpu_seconds']:.2f} s\n"
        f"  HTML report {len(outputs['html'].encode()) / 1e6:.2f} MB, "
        f"{len(outputs['metrics'])} metric rows, {len(outputs['alerts'])} alerts"
    )
    for feature, planted in PLANTED.items():
        print(  # noqa: T201
            f"  {feature} ({planted}): PSI {drift.loc[feature, 'psi']:.3f} "
            f"-> {drift.loc[feature, 'verdict']}"
        )
    others = drift.drop(index=list(PLANTED))
    print(  # noqa: T201
        f"  unplanted features flagged: {(others['verdict'] != 'ok').sum()} "
        f"of {len(others)}"
    )
    if arguments.evidently_python is None:
        print(  # noqa: T201
            "Evidently comparison skipped: pass --evidently-python (see the module "
            "docstring for how to install it)."
        )
    else:
        compare_with_evidently(
            arguments.evidently_python, reference, batch, drift, seconds
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evidently-python", default=None)
    parser.add_argument("--reference-rows", type=int, default=REFERENCE_ROWS)
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS)
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="keep every dataset between nodes in memory instead of the catalog's files",
    )
    parser.add_argument("--coverage-batches", type=int, default=50)
    parser.add_argument("--coverage-rows", type=int, default=5_000)
    parser.add_argument("--concept-batches", type=int, default=10)
    parser.add_argument("--training-rows", type=int, default=30_000)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-coverage", action="store_true")
    arguments = parser.parse_args()
    # Per-node log lines would be written to the terminal inside the timings.
    for name in ("kedro", "loan_default"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The planted drift raises act alerts by design; they are counted below.
    logging.getLogger("loan_default.pipelines.monitoring").setLevel(logging.ERROR)
    # Kedro's config loader calls a deprecated OmegaConf function: not ours to fix.
    warnings.filterwarnings("ignore", "register_new_resolver", UserWarning)
    print(  # noqa: T201
        f"{os.cpu_count()} cores; load average {load_average()} (1, 5, 15 min)"
    )
    with PARAMETERS.open() as stream:
        params = yaml.safe_load(stream)["monitoring"]
    if not arguments.skip_timing:
        run_timing(arguments, params)
    if not arguments.skip_coverage:
        started = time.perf_counter()
        results = measure_coverage(
            arguments.coverage_batches,
            arguments.coverage_rows,
            arguments.training_rows,
            arguments.concept_batches,
            params,
        )
        report_coverage(results)
        print(  # noqa: T201
            f"  coverage run {time.perf_counter() - started:.0f} s "
            f"({arguments.coverage_rows:,} rows per batch)"
        )
    print(f"load average at the end {load_average()}")  # noqa: T201


if __name__ == "__main__":
    main()
