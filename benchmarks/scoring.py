"""Time batch scoring and monitoring at full scale, as kedro runs their pipelines.

Trains once with the real data_engineering and modelling pipelines (xgboost block of
the parameters only) on a full-size synthetic training table (307,511 applications),
over the project's catalog with its files under a temporary folder. Then times, over
a few runs, the scoring pipeline on a 48,744-row batch file (read the CSV, validate,
look up the in-house history, score with reason codes, write the versioned outputs)
and the monitoring pipeline (score the test applicants as the reference, join the
batch's features and scores, every check, the exports), both with SequentialRunner
and the champion in memory. The batch is undrifted: its alerts are false alarms.
Targets on 2 cores: scoring < 10 s, monitoring < 30 s.

    python benchmarks/scoring.py [--training-rows 307511] [--batch-rows 48744]
                                 [--repeats 3]

With ``--memory``, the scoring pipeline runs once per chunk size of
``--chunk-applications`` (``none``: the batch at once), each in a fresh Python
process that loads the saved champion, and the script prints its wall time and
peak resident memory (the kernel's VmHWM of that process: the batch file read,
validated, scored and written), with the resident and peak memory after each node
to show where the peak is reached. Target at 1,000,000 applications: < 2 GB.

    python benchmarks/scoring.py --memory --training-rows 20000 \
        --batch-rows 1000000 --chunk-applications none 50000

With ``--deliver-to PROJECT``, it only delivers a batch of ``--batch-rows``
applications to a trained project (its ``data/01_raw/new_applications.csv``, the
applicants' history added to its in-house table), for a real ``kedro run`` to be
measured there, whole process included:

    kedro run --params synthetic_n_applications=20000
    python benchmarks/scoring.py --deliver-to . --batch-rows 1000000
    /usr/bin/time -v kedro run --pipelines scoring   # "Maximum resident set size"
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from kedro.config import OmegaConfigLoader
from kedro.framework.hooks import hook_impl
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import generate_timestamp
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from loan_default.pipelines import data_engineering, modelling, monitoring, scoring
from loan_default.schema import PREVIOUS_APPLICATION
from loan_default.synthetic import generate_new_applications
from loan_default.validation import validate_table

ALGORITHM = "xgboost"
CONF = Path(__file__).resolve().parents[1] / "conf"
PATH_KEYS = ("filepath", "application_filepath", "previous_application_filepath")


def project_configuration(training_rows: int) -> tuple[dict, dict]:
    """Parameters and catalog as ``kedro run --params synthetic_n_applications=N``
    sees them; only the xgboost block is trained, as the champion to time."""
    loader = OmegaConfigLoader(
        str(CONF),
        base_env="base",
        default_run_env="base",
        runtime_params={"synthetic_n_applications": training_rows},
    )
    parameters = copy.deepcopy(loader["parameters"])
    parameters["algorithms"] = {ALGORITHM: parameters["algorithms"][ALGORITHM]}
    return parameters, loader["catalog"]


def parameter(parameters: dict, name: str) -> Any:
    """The value of ``params:a.b.c``."""
    value: Any = parameters
    for key in name.removeprefix("params:").split("."):
        value = value[key]
    return value


def project_catalog(
    root: Path,
    config: dict,
    pipeline: Pipeline,
    parameters: dict,
    **in_memory: Any,
) -> DataCatalog:
    """The project's catalog with its data/ files under ``root``, a fresh save
    version (versioned outputs of an earlier run stay, as in data/), the pipeline's
    parameters and ``in_memory`` datasets."""
    # An in-memory dataset replaces the file entry of the same name.
    config = {k: v for k, v in copy.deepcopy(config).items() if k not in in_memory}
    for entry in config.values():
        for key in PATH_KEYS:
            if isinstance(entry.get(key), str) and entry[key].startswith("data/"):
                entry[key] = str(root / entry[key])
    catalog = DataCatalog.from_config(config, save_version=generate_timestamp())
    for name in pipeline.inputs():
        if name.startswith("params:"):
            catalog[name] = MemoryDataset(parameter(parameters, name))
    for name, value in in_memory.items():
        catalog[name] = MemoryDataset(value, copy_mode="assign")
    return catalog


def train(root: Path, config: dict, parameters: dict) -> Any:
    """The champion, made and saved by the training pipelines as ``kedro run``."""
    pipeline = data_engineering.create_pipeline() + modelling.create_pipeline(
        [ALGORITHM]
    )
    catalog = project_catalog(root, config, pipeline, parameters)
    started = time.perf_counter()
    SequentialRunner().run(pipeline, catalog)
    fit_seconds = catalog.load(f"{ALGORITHM}.fit_summary")["fit_seconds"]
    print(
        f"  data_engineering + modelling in {time.perf_counter() - started:.1f} s "
        f"({ALGORITHM} fitted in {fit_seconds:.1f} s)"
    )
    return catalog.load("champion_model")


def deliver_batch(root: Path, config: dict, rows: int) -> None:
    """An undrifted batch file, its applicants' history added to the in-house table
    (validated, as the training history is) so that it is looked up there, as with
    the real files."""
    batch = generate_new_applications(rows, seed=7)
    batch_file = root / config["new_application_batch"]["filepath"]
    batch_file.parent.mkdir(parents=True, exist_ok=True)
    batch.application.to_csv(batch_file, index=False)
    history = validate_table(
        batch.previous_application,
        PREVIOUS_APPLICATION,
        "synthetic previous applications of the batch",
        require_target=False,
    )
    in_house = root / config["previous_application_validated"]["filepath"]
    pd.concat([pd.read_parquet(in_house), history], ignore_index=True).to_parquet(
        in_house
    )


class NodeMemory:
    """Resident and peak memory after each node, and after each chunk the
    generator node yields (its outputs are saved after the node "ran"), to see
    where a peak is reached."""

    @hook_impl
    def after_node_run(self, node: Any) -> None:
        print(f"    after {node.name}: {memory_status()}", flush=True)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str) -> None:
        if dataset_name == "scoring_chunks":
            print(f"    after a chunk's outputs: {memory_status()}", flush=True)


def run_pipeline(
    root: Path,
    config: dict,
    pipeline: Pipeline,
    parameters: dict,
    champion: Any,
    *,
    hooks: tuple = (),
) -> DataCatalog:
    catalog = project_catalog(
        root,
        config,
        pipeline,
        parameters,
        champion_model=champion,
        production_model=champion,
    )
    hook_manager = _create_hook_manager()
    for hook in hooks:
        hook_manager.register(hook)
    SequentialRunner().run(pipeline, catalog, hook_manager=hook_manager)
    return catalog


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


def _status_bytes(key: str) -> int:
    """A memory figure of this process (VmRSS, VmHWM: peak), from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status: Linux is needed for --memory")


def peak_rss_bytes() -> int:
    return _status_bytes("VmHWM")


def memory_status() -> str:
    return (
        f"RSS {_status_bytes('VmRSS') / 2**30:.2f} GiB, "
        f"peak {_status_bytes('VmHWM') / 2**30:.2f} GiB"
    )


def chunk_setting(value: str) -> int | None:
    return None if value == "none" else int(value)


def score_once(root: Path, training_rows: int, chunk_applications: int | None) -> None:
    """One scoring run on the batch delivered under ``root``, with the champion
    saved there; prints the wall seconds and the peak RSS of this process."""
    parameters, config = project_configuration(training_rows)
    parameters["scoring"]["chunk_applications"] = chunk_applications
    pipeline = scoring.create_pipeline()
    champion = DataCatalog.from_config(
        {
            "champion_model": {
                **config["champion_model"],
                "filepath": str(root / config["champion_model"]["filepath"]),
            }
        }
    ).load("champion_model")
    started = time.perf_counter()
    catalog = run_pipeline(
        root, config, pipeline, parameters, champion, hooks=(NodeMemory(),)
    )
    seconds = time.perf_counter() - started
    rows = catalog.load("scoring_summary")["rows_scored"]
    print(f"{rows} {seconds:.2f} {peak_rss_bytes()}")


def measure_memory(root: Path, arguments: argparse.Namespace) -> None:
    """Each chunk size in its own process, so that each peak is its own."""
    for setting in arguments.chunk_applications:
        worker = subprocess.run(
            [
                sys.executable,
                __file__,
                "--score-once",
                str(root),
                "--training-rows",
                str(arguments.training_rows),
                "--chunk-applications",
                setting,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        *per_node, last = worker.stdout.strip().splitlines()
        rows, seconds, peak = last.split()
        print(
            f"  chunk_applications {setting}: {int(rows):,} applications scored in "
            f"{float(seconds):.1f} s, peak RSS {int(peak) / 2**30:.2f} GiB "
            "(target < 2 GB)"
        )
        print("\n".join(line for line in per_node if line.startswith("    after")))


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training-rows", type=int, default=307_511)
    parser.add_argument("--batch-rows", type=int, default=48_744)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--chunk-applications", nargs="+", default=["none", "50000"])
    parser.add_argument("--score-once", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--deliver-to", type=Path, help="a trained project's folder")
    arguments = parser.parse_args()
    # Per-node log lines would be written to the terminal inside the timings.
    for name in ("kedro", "loan_default"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Kedro's config loader calls a deprecated OmegaConf function: not ours to fix.
    warnings.filterwarnings("ignore", "register_new_resolver", UserWarning)
    if arguments.deliver_to:
        started = time.perf_counter()
        _, config = project_configuration(arguments.training_rows)
        deliver_batch(arguments.deliver_to.resolve(), config, arguments.batch_rows)
        print(
            f"batch of {arguments.batch_rows:,} applications delivered to "
            f"{arguments.deliver_to} in {time.perf_counter() - started:.1f} s"
        )
        return
    if arguments.score_once:
        score_once(
            arguments.score_once,
            arguments.training_rows,
            chunk_setting(arguments.chunk_applications[0]),
        )
        return
    print(f"{os.cpu_count()} cores; load average {load_average()} (1, 5, 15 min)")
    parameters, config = project_configuration(arguments.training_rows)
    scoring_pipeline, monitoring_pipeline = (
        scoring.create_pipeline(),
        monitoring.create_pipeline(),
    )
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        # The modelling pipeline registers its champion: in this folder's registry.
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
        print(f"training on {arguments.training_rows:,} synthetic applications...")
        champion = train(root, config, parameters)
        started = time.perf_counter()
        deliver_batch(root, config, arguments.batch_rows)
        print(
            f"  batch of {arguments.batch_rows:,} applications delivered in "
            f"{time.perf_counter() - started:.1f} s"
        )
        if arguments.memory:
            measure_memory(root, arguments)
            mlflow.end_run()  # the training's run, while its registry still exists
            print(f"load average at the end {load_average()}")
            return

        # Each run reads the latest versions the previous pipeline wrote.
        scored = timed(
            lambda: run_pipeline(root, config, scoring_pipeline, parameters, champion),
            arguments.repeats,
        )
        monitored = timed(
            lambda: run_pipeline(
                root, config, monitoring_pipeline, parameters, champion
            ),
            arguments.repeats,
        )
        summary = scored[2].load("scoring_summary")
        alerts = monitored[2].load("monitoring_alerts")
    print(
        f"batch of {summary['rows_scored']:,} applications against "
        f"{alerts['reference_rows']:,} test applicants of a "
        f"{arguments.training_rows:,}-applicant training table\n"
        f"  {describe('scoring', scored, 10)}\n"
        f"  {describe('monitoring', monitored, 30)}\n"
        f"  alerts on the undrifted batch: {alerts['counts']['act']} act, "
        f"{alerts['counts']['watch']} watch"
    )
    print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
