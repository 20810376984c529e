"""Time a full-scale monitoring run, and compare it with Evidently's data-drift preset.

Full scale: a 307,511-row reference (the training table's size) against a 48,744-row
batch, 134 numeric and 16 categorical features, generated here with numpy so the
figures do not depend on the feature-building code. Drift is planted in a few
features: a mean shift (act), a small shift (watch), a rise in missing values only,
and a categorical shift. The target is the whole computation under 30 s on 2 cores.

    python benchmarks/monitoring.py [--repeats 3] [--evidently-python PYTHON]

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
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from loan_default.monitoring import html_report, monitor_batch, prometheus_exposition

PARAMETERS = Path(__file__).parents[1] / "conf" / "base" / "parameters_monitoring.yml"
REFERENCE_ROWS, BATCH_ROWS = 307_511, 48_744
NUMERIC, CATEGORICAL = 134, 16
PLANTED = {
    "num_000": "mean shift of 0.75 sd",
    "num_001": "missing share 10% -> 30%, present values unchanged",
    "num_002": "mean shift of 0.15 sd",
    "cat_00": "level shares 50/30/15 -> 30/30/35",
}

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


def time_monitoring(
    reference: pd.DataFrame, batch: pd.DataFrame, params: dict, repeats: int
) -> tuple[list[float], dict]:
    """Wall seconds per run, and the CPU seconds of the median run's process (all
    threads): on a shared machine the CPU figure shows the work, the wall one the wait."""
    seconds, cpu_seconds = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        outputs = monitor_batch(reference, batch, params)
        prometheus_exposition(outputs["metrics"], outputs["alerts"], len(batch))
        outputs["html"] = html_report(outputs, params)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    outputs["cpu_seconds"] = statistics.median(cpu_seconds)
    return seconds, outputs


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evidently-python", default=None)
    arguments = parser.parse_args()
    with PARAMETERS.open() as stream:
        params = yaml.safe_load(stream)["monitoring"] | {"rules": []}

    reference = generate_frame(REFERENCE_ROWS, seed=0, drifted=False)
    batch = generate_frame(BATCH_ROWS, seed=1, drifted=True)
    seconds, outputs = time_monitoring(reference, batch, params, arguments.repeats)
    drift = outputs["drift"].set_index("feature")
    print(  # noqa: T201
        f"monitoring: {REFERENCE_ROWS:,} reference rows x {len(drift)} features "
        f"against {BATCH_ROWS:,} rows, workers={params['workers']}\n"
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
        return
    features = list(drift.index)
    result = run_evidently(
        arguments.evidently_python, reference[features], batch[features]
    )
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


if __name__ == "__main__":
    main()
