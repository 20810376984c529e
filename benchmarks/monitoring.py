"""Time a full-scale monitoring run, and compare it with Evidently's data-drift preset.

Full scale: a 307,511-row reference (the training table's size) against a 48,744-row
batch, 134 numeric and 16 categorical features, generated here with numpy so the
figures do not depend on the feature-building code. Drift is planted in a few
features: a mean shift (act), a small shift (watch), a rise in missing values only,
and a categorical shift. The target is the whole computation under 30 s on 2 cores.

The run is the monitoring pipeline's checks and exports, everything downstream of
``monitoring_reference`` and ``monitoring_batch``, with SequentialRunner over the
project's monitoring catalog entries (files under a temporary folder, each check's
result written and read back as ``kedro run`` does; ``--in-memory`` keeps them in
memory, the computation alone). No model scored these frames, so the contributions
node is left out and its two tables are empty, as the pipeline makes them for an
estimator without contributions: importance stability and client profile are
skipped. ``benchmarks/scoring.py`` times the whole pipeline with a real champion.

    python benchmarks/monitoring.py [--repeats 3] [--evidently-python PYTHON]
                                    [--reference-rows 307511] [--batch-rows 48744]
                                    [--in-memory]

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

from loan_default.pipelines.monitoring import create_pipeline as monitoring_pipeline
from loan_default.pipelines.monitoring.nodes import compute_contributions

CONF = Path(__file__).resolve().parents[1] / "conf"
PARAMETERS = CONF / "base" / "parameters_monitoring.yml"
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
        entry["filepath"] = str(root / entry["filepath"])
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
        "champion_model": FrameModel(),
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

    reference = generate_frame(arguments.reference_rows, seed=0, drifted=False)
    batch = generate_frame(arguments.batch_rows, seed=1, drifted=True)
    seconds, outputs = time_monitoring(
        reference, batch, params, arguments.repeats, arguments.in_memory
    )
    drift = outputs["drift"].set_index("feature")
    print(  # noqa: T201
        f"monitoring: {len(reference):,} reference rows x {len(drift)} features "
        f"against {len(batch):,} rows, workers={params['workers']}, datasets "
        f"{'in memory' if arguments.in_memory else 'in the catalog files'}\n"
        f"  median {statistics.median(seconds):.2f} s over {len(seconds)} runs "
        f"(all: {', '.join(f'{value:.2f}' for value in seconds)}); target < 30 s; "
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
    print(f"load average at the end {load_average()}")  # noqa: T201


if __name__ == "__main__":
    main()
