"""Time batch scoring and monitoring at full scale, node by node as kedro runs them.

Trains once on a full-size synthetic training table (307,511 applications) with the
project's own functions and the xgboost block of the parameters, then times, over a
few runs, the scoring pipeline's work on a 48,744-row batch (read the CSV, read the
in-house history from Parquet, validate, look up history, build features, score) and
the monitoring pipeline's (read the reference's Parquet files, score the test
applicants, compare, export). Targets on 2 cores: scoring < 10 s, monitoring < 30 s.

    python benchmarks/scoring.py [--training-rows 307511] [--batch-rows 48744]
                                 [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from kedro.config import OmegaConfigLoader

from loan_default.features import build_features, to_model_input
from loan_default.pipelines.data_engineering.nodes import (
    fit_feature_transformer,
    split_applicants,
    validate_raw_data,
)
from loan_default.pipelines.modelling.nodes import fit_model
from loan_default.pipelines.monitoring.nodes import (
    build_reference,
    export_monitoring,
    join_batch_scores,
    monitor_scored_batch,
)
from loan_default.pipelines.reporting.nodes import (
    build_champion_model,
    build_evaluation_table,
    choose_operating_threshold,
    evaluate_on_test,
)
from loan_default.pipelines.scoring.dataset import NewApplicationBatchDataset
from loan_default.pipelines.scoring.nodes import (
    build_batch_features,
    collect_batch,
    lookup_history,
    score_batch,
    summarise_scoring,
    validate_batch,
)
from loan_default.schema import APPLICATION_ID, TARGET
from loan_default.synthetic import generate_loan_data, generate_new_applications

ALGORITHM = "xgboost"
CONF = Path(__file__).parents[1] / "conf"


def project_parameters() -> dict:
    loader = OmegaConfigLoader(str(CONF), base_env="base", default_run_env="base")
    return loader["parameters"]


def train(rows: int, parameters: dict, folder: Path):
    """The champion, as the default pipeline would make it; reference files saved."""
    data = generate_loan_data(rows, seed=42)
    application, previous, source, _ = validate_raw_data(
        {
            "application": data.application,
            "previous_application": data.previous_application,
            "true_default_probability": data.true_default_probability,
            "source": {"kind": "synthetic", "seed": 42},
        },
        parameters["validation"],
    )
    features = build_features(
        application, previous, parameters["cleaning"], parameters["features"]
    )
    parts = split_applicants(features, parameters["split"])
    transformer = fit_feature_transformer(parts[0], parameters["transformer"])
    train_input, validation_input, test_input = (
        to_model_input(transformer, part) for part in parts
    )
    started = time.perf_counter()
    model, _ = fit_model(
        train_input,
        validation_input,
        parameters["algorithms"][ALGORITHM],
        parameters["modelling"],
    )
    print(f"  {ALGORITHM} fitted in {time.perf_counter() - started:.1f} s")

    def predictions(model_input: pd.DataFrame) -> pd.DataFrame:
        matrix = model_input.drop(columns=[APPLICATION_ID, TARGET])
        return model_input[[APPLICATION_ID, TARGET]].assign(
            PROBABILITY=model.predict_proba(matrix)[:, 1]
        )

    threshold_options = parameters["reporting"]["operating_threshold"]
    threshold = choose_operating_threshold(
        predictions(validation_input), threshold_options
    )
    test_predictions = predictions(test_input)
    evaluation = evaluate_on_test(test_predictions, threshold, threshold_options)
    champion = build_champion_model(
        champion_name=ALGORITHM,
        models={ALGORITHM: model},
        operating_thresholds={ALGORITHM: threshold},
        test_predictions=test_predictions.assign(model=ALGORITHM),
        evaluation_results=build_evaluation_table({ALGORITHM: evaluation}),
        feature_transformer=transformer,
        data_source=source,
        cleaning=parameters["cleaning"],
        features=parameters["features"],
    ).with_model_version("benchmark")
    previous.to_parquet(folder / "previous_application.parquet")
    features.to_parquet(folder / "applicant_features.parquet")
    test_input.to_parquet(folder / "model_input_test.parquet")
    return champion


def run_scoring(champion, parameters: dict, folder: Path) -> dict:
    batch = NewApplicationBatchDataset(str(folder / "new_applications.csv")).load()
    application, generated, source = collect_batch(batch, {})
    history = pd.read_parquet(folder / "previous_application.parquet")
    valid, quarantine = validate_batch(
        application, source, "quarantine", parameters["validation"]
    )
    found = lookup_history(valid, history, generated)
    features = build_batch_features(champion, valid, found)
    scores = score_batch(champion, features)
    features.to_parquet(folder / "batch_features.parquet")
    scores.to_parquet(folder / "scores.parquet")
    return summarise_scoring(source, quarantine, scores, "quarantine")


def run_monitoring(champion, parameters: dict, folder: Path, summary: dict) -> dict:
    monitoring = parameters["monitoring"]
    reference = build_reference(
        pd.read_parquet(folder / "applicant_features.parquet"),
        pd.read_parquet(folder / "model_input_test.parquet"),
        champion,
    )
    current = join_batch_scores(
        pd.read_parquet(folder / "batch_features.parquet"),
        pd.read_parquet(folder / "scores.parquet"),
        champion,
    )
    results = monitor_scored_batch(reference, current, champion, monitoring)
    metrics, alerts, report, prometheus = export_monitoring(
        results, champion, summary, monitoring
    )
    metrics.to_csv(folder / "metrics.csv", index=False)
    (folder / "report.html").write_text(report)
    (folder / "monitoring.prom").write_text(prometheus)
    return alerts


def timed(
    function: Callable[[], object], repeats: int
) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds (all threads) per run: on a shared machine the CPU
    figure shows the work, the wall one also the wait."""
    seconds, cpu_seconds, result = [], [], None
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = function()
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    return seconds, cpu_seconds, result


def describe(name: str, timings: tuple, target: float) -> str:
    seconds, cpu_seconds = timings[:2]
    return (
        f"{name}: median {statistics.median(seconds):.2f} s over {len(seconds)} runs "
        f"(all: {', '.join(f'{value:.2f}' for value in seconds)}); target < {target} "
        f"s; median CPU {statistics.median(cpu_seconds):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training-rows", type=int, default=307_511)
    parser.add_argument("--batch-rows", type=int, default=48_744)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    parameters = project_parameters()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"training on {arguments.training_rows:,} synthetic applications...")
        champion = train(arguments.training_rows, parameters, folder)
        batch = generate_new_applications(arguments.batch_rows, seed=7)
        batch.application.to_csv(folder / "new_applications.csv", index=False)
        # The batch applicants' history is in-house, as with the real files.
        history = folder / "previous_application.parquet"
        pd.concat(
            [pd.read_parquet(history), batch.previous_application], ignore_index=True
        ).to_parquet(history)

        scoring = timed(
            lambda: run_scoring(champion, parameters, folder), arguments.repeats
        )
        monitoring = timed(
            lambda: run_monitoring(champion, parameters, folder, scoring[2]),
            arguments.repeats,
        )
    summary, alerts = scoring[2], monitoring[2]
    print(
        f"batch of {summary['rows_scored']:,} applications against "
        f"{alerts['reference_rows']:,} test applicants of a "
        f"{arguments.training_rows:,}-applicant training table\n"
        f"  {describe('scoring', scoring, 10)}\n"
        f"  {describe('monitoring', monitoring, 30)}\n"
        f"  alerts: {alerts['counts']['act']} act, {alerts['counts']['watch']} watch"
    )


if __name__ == "__main__":
    main()
