"""Modelling benchmarks: real ``kedro run``s in fresh project copies, figures printed.

    python benchmarks/modelling.py                       # all parts
    python benchmarks/modelling.py --parts default --repeats 5
    python benchmarks/modelling.py --parts origin --grid-applications 20000
    python benchmarks/modelling.py --parts oracle --oracle-applications 50000,100000

    python benchmarks/modelling.py --parts algorithms --algorithm-applications 50000

Parts:
- algorithms: one default run at ``--algorithm-applications``: every algorithm
  block's validation and test AUC with DeLong 95% intervals and its fit time, and
  DeLong's paired test on the test split of monotone XGBoost against XGBoost and of
  the scorecard against the champion (the full part prints the same table).
- default: the default ``kedro run`` (20,000 synthetic applications): median wall
  time and peak RSS over the repeats, and where the time goes (kedro's start-up and
  each pipeline's nodes, from the run's own log).
- full:    the default run at full scale (307,511 applications), once, with its
  champion's test AUC against the oracle AUC.
- origin:  one data_engineering run, then the modelling pipeline twice on the very
  same features and split: the base configuration, and the origin's grid searches
  (``--env origin_grid``). Wall-time ratio of the modelling stage and the test AUC
  of each algorithm on both sides. Then the reporting pipeline on our side: the
  champion's test AUC against the oracle AUC (the generator's true probabilities).
- oracle:  the default run at each of ``--oracle-applications`` sizes on
  ``--oracle-seeds`` generator seeds: the gap between the oracle AUC and the
  champion's test AUC per run, and its median per size. The test split of 50,000
  applications has about 600 defaults, so one seed's AUC moves by about 0.01.

Stage times come from the timestamps of kedro's log (the runner is sequential, so
each node, with the loading of its inputs, begins where the previous one completed);
"start-up" is from the command's start to the first node's start (kedro, the project,
the catalog and the first node's inputs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

import pandas as pd
from kedro.config import OmegaConfigLoader
from sklearn.metrics import roc_auc_score

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))

from kedro_runs import timed_kedro_run  # noqa: E402  (one way to time a kedro run)

from loan_default.model_risk.intervals import delong_paired_test  # noqa: E402
from loan_default.pipeline_registry import register_pipelines  # noqa: E402
from loan_default.pipelines.modelling.nodes import PROBABILITY  # noqa: E402
from loan_default.pipelines.reporting.nodes import oracle_auc  # noqa: E402
from loan_default.schema import APPLICATION_ID, TARGET  # noqa: E402
from tests.project import (  # noqa: E402  (shared with the tests)
    make_project_copy,
    project_parameters,
)

STAGES = ("data_engineering", "modelling", "reporting")
ALGORITHMS = list(project_parameters()["algorithms"])
ORIGIN_ENV = "origin_grid"
ORIGIN_ALGORITHMS = list(
    OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env=ORIGIN_ENV
    )["parameters"]["algorithms"]
)
DEFAULT_SIZE = 20_000
FULL_SIZE = 307_511
LOG_FILE = "benchmark.log"
_COMPLETED = re.compile(r"\|Completed node: (\S+)$")

LOGGING_CONFIG = """\
version: 1
disable_existing_loggers: false
formatters:
  timed:
    format: "%(asctime)s.%(msecs)03d|%(name)s|%(message)s"
    datefmt: "%Y-%m-%dT%H:%M:%S"
handlers:
  file:
    class: logging.FileHandler
    formatter: timed
    filename: {path}
root:
  level: INFO
  handlers: [file]
"""


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def new_project(folder: Path, with_origin: bool = False) -> Path:
    """A project copy that logs to ``benchmark.log`` with millisecond timestamps."""
    make_project_copy(folder)
    if with_origin:
        shutil.copytree(
            PROJECT_ROOT / "conf" / ORIGIN_ENV, folder / "conf" / ORIGIN_ENV
        )
    (folder / "conf" / "logging.yml").write_text(
        LOGGING_CONFIG.format(path=(folder / LOG_FILE).as_posix()), encoding="utf-8"
    )
    return folder


def run(project: Path, size: int, *arguments: str, seed: int | None = None) -> dict:
    """One timed ``kedro run``: seconds, peak RSS (MB) and seconds per stage."""
    log = project / LOG_FILE
    log.unlink(missing_ok=True)
    os.environ["KEDRO_LOGGING_CONFIG"] = str(project / "conf" / "logging.yml")
    # One --params option: kedro keeps only the last of several.
    params = f"synthetic_n_applications={size}"
    if seed is not None:
        params += f",synthetic_seed={seed}"
    started = time.time()
    seconds, peak = timed_kedro_run(project, ["--params", params, *arguments])
    return {"seconds": seconds, "peak_mb": peak, **stage_seconds(log, started)}


def stage_of_node() -> dict[str, str]:
    # Building the pipelines here only to name their nodes: their warnings are noise.
    warnings.simplefilter("ignore")
    pipelines = register_pipelines(algorithms=ALGORITHMS)
    return {node.name: stage for stage in STAGES for node in pipelines[stage].nodes}


def stage_seconds(log: Path, started: float) -> dict:
    """Seconds of start-up and of each stage's nodes, from the run's log."""
    first_running = None
    completed = []
    for line in log.read_text(encoding="utf-8").splitlines():
        stamp_text = line.partition("|")[0]
        if "|Running node: " in line and first_running is None:
            first_running = _timestamp(stamp_text)
        match = _COMPLETED.search(line)
        if match:
            completed.append((_timestamp(stamp_text), match.group(1)))
    stages = stage_of_node()
    per_stage: dict[str, float] = {}
    per_node: dict[str, float] = {}
    previous = first_running
    for stamp, node in completed:
        per_node[node] = stamp - previous
        stage = stages.get(node, "other")
        per_stage[stage] = per_stage.get(stage, 0.0) + per_node[node]
        previous = stamp
    startup = (first_running or time.time()) - started
    return {"startup": startup, "stages": per_stage, "nodes": per_node}


def _timestamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def describe_stages(result: dict) -> str:
    parts = [f"start-up {result['startup']:.1f}"]
    parts += [f"{stage} {value:.1f}" for stage, value in result["stages"].items()]
    return ", ".join(parts) + " (s)"


def slowest_nodes(result: dict, count: int = 6) -> str:
    ranked = sorted(result["nodes"].items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {value:.1f}" for name, value in ranked)


def part_default(repeats: int) -> None:
    print(f"\n[a] default kedro run, {DEFAULT_SIZE:,} applications, {repeats} runs")
    results = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            results.append(run(new_project(Path(folder)), DEFAULT_SIZE))
    times = [result["seconds"] for result in results]
    median = statistics.median(times)
    typical = min(results, key=lambda result: abs(result["seconds"] - median))
    print(
        f"median {median:.1f} s (runs {', '.join(f'{t:.1f}' for t in times)}); "
        f"peak RSS {max(result['peak_mb'] for result in results):,.0f} MB; "
        f"target < 60 s: {'met' if median < 60 else 'MISSED'}"
    )
    print(f"median run: {describe_stages(typical)}")
    print(f"slowest nodes (s): {slowest_nodes(typical)}")


def part_full() -> None:
    print(f"\n[b] default kedro run at full scale, {FULL_SIZE:,} applications")
    with tempfile.TemporaryDirectory() as folder:
        project = new_project(Path(folder))
        result = run(project, FULL_SIZE)
        previous_rows = json.loads(
            (project / "data" / "02_intermediate" / "data_source.json").read_text()
        ).get("n_previous_applications")
        gap = describe_gap(project)
        algorithms = describe_algorithms(project, result)
    print(
        f"{result['seconds']:.1f} s; peak RSS {result['peak_mb']:,.0f} MB; "
        f"{previous_rows:,} previous applications; targets < 300 s: "
        f"{'met' if result['seconds'] < 300 else 'MISSED'}, < 6 GB: "
        f"{'met' if result['peak_mb'] < 6 * 1024 else 'MISSED'}"
    )
    print(f"stages: {describe_stages(result)}")
    print(f"slowest nodes (s): {slowest_nodes(result)}")
    print(gap)
    print(algorithms)


def test_auc(project: Path, names: list[str]) -> dict[str, float]:
    return {
        name: json.loads(
            (project / "data" / "07_model_output" / name / "metrics.json").read_text()
        )["test"]["roc_auc"]
        for name in names
    }


# Paired comparisons on the test split: (a, b) reads "a against b".
PAIRS = (("xgboost_monotone", "xgboost"), ("scorecard", "champion"))


def _interval(split: dict) -> str:
    return f"{split['roc_auc']:.4f} [{split['roc_auc_low']:.4f}, {split['roc_auc_high']:.4f}]"


def describe_algorithms(project: Path, result: dict) -> str:
    """Each block's AUC with its DeLong interval and fit time; the paired tests."""
    output = project / "data" / "07_model_output"
    champion = json.loads(
        (project / "data" / "06_models" / "champion" / "champion_name.json").read_text()
    )
    rows = []
    for name in ALGORITHMS:
        metrics = json.loads((output / name / "metrics.json").read_text())
        rows.append(
            {
                "algorithm": name + (" (champion)" if name == champion else ""),
                "validation AUC [95% CI]": _interval(metrics["validation"]),
                "test AUC [95% CI]": _interval(metrics["test"]),
                "fit s": round(metrics["fit_seconds"], 1),
                "template s": round(algorithm_seconds(result, name), 1),
            }
        )
    lines = [pd.DataFrame(rows).to_string(index=False)]
    for first, named in PAIRS:
        second = champion if named == "champion" else named
        if first == second or not {first, second} <= set(ALGORITHMS):
            continue
        a, b = (
            pd.read_parquet(output / name / "predictions_test.parquet")
            for name in (first, second)
        )
        if not a[APPLICATION_ID].equals(b[APPLICATION_ID]):
            raise ValueError(f"{first} and {second} scored different test rows")
        test = delong_paired_test(a[TARGET], a[PROBABILITY], b[PROBABILITY])
        lines.append(
            f"test AUC {first} - {second}: {test['difference']:+.4f} "
            f"[{test['low']:+.4f}, {test['high']:+.4f}], DeLong p = "
            f"{test['p_value']:.3f} ({'significant' if test['p_value'] < 0.05 else 'not significant'} at 5%)"
        )
    return "\n".join(lines)


def part_algorithms(size: int) -> None:
    print(f"\n[f] every algorithm block, {size:,} applications")
    with tempfile.TemporaryDirectory() as folder:
        project = new_project(Path(folder))
        result = run(project, size)
        print(f"{result['seconds']:.1f} s; peak RSS {result['peak_mb']:,.0f} MB")
        print(describe_algorithms(project, result))


def algorithm_seconds(result: dict, algorithm: str) -> float:
    return sum(
        value
        for name, value in result["nodes"].items()
        if name.startswith(f"{algorithm}.")
    )


def part_origin(size: int) -> None:
    print(
        f"\n[c] our configuration against the origin's grid searches, {size:,} "
        "applications, same features and split"
    )
    with tempfile.TemporaryDirectory() as ours_folder:
        with tempfile.TemporaryDirectory() as origin_folder:
            ours = new_project(Path(ours_folder))
            origin = new_project(Path(origin_folder), with_origin=True)
            engineering = run(ours, size, "--pipelines", "data_engineering")
            print(f"data_engineering: {engineering['seconds']:.1f} s")
            shutil.copytree(ours / "data", origin / "data", dirs_exist_ok=True)

            runs = {"ours": run(ours, size, "--pipelines", "modelling")}
            runs["origin"] = run(
                origin, size, "--pipelines", "modelling", "--env", ORIGIN_ENV
            )
            # The blocks both configurations have (the origin has no scorecard).
            names = [name for name in ORIGIN_ALGORITHMS if name in ALGORITHMS]
            aucs = {"ours": test_auc(ours, names), "origin": test_auc(origin, names)}
            rows = [
                {
                    "algorithm": name,
                    "ours AUC": aucs["ours"][name],
                    "origin AUC": aucs["origin"][name],
                    "ours s": algorithm_seconds(runs["ours"], name),
                    "origin s": algorithm_seconds(runs["origin"], name),
                }
                for name in names
            ]
            print(pd.DataFrame(rows).round(4).to_string(index=False))
            node_ratio = (
                runs["origin"]["stages"]["modelling"]
                / runs["ours"]["stages"]["modelling"]
            )
            print(
                f"modelling stage (nodes): origin "
                f"{runs['origin']['stages']['modelling']:.1f} s / ours "
                f"{runs['ours']['stages']['modelling']:.1f} s = {node_ratio:.1f}x"
            )
            print(
                f"whole `kedro run --pipelines modelling` (with start-up): origin "
                f"{runs['origin']['seconds']:.1f} s / ours "
                f"{runs['ours']['seconds']:.1f} s = "
                f"{runs['origin']['seconds'] / runs['ours']['seconds']:.1f}x; peak "
                f"RSS origin {runs['origin']['peak_mb']:,.0f} MB, ours "
                f"{runs['ours']['peak_mb']:,.0f} MB"
            )
            better = all(row["ours AUC"] >= row["origin AUC"] for row in rows)
            print(
                f"target ours >= 10x faster: "
                f"{'met' if node_ratio >= 10 else 'MISSED'}; equal or better AUC "
                f"on every algorithm: {'met' if better else 'MISSED'}"
            )
            part_oracle_after_origin(ours, size)


def champion_against_oracle(project: Path) -> tuple[str, float, float]:
    """The champion of a project that has run reporting: its name, its test AUC and
    the oracle AUC on the same test rows."""
    data = project / "data"
    champion = json.loads(
        (data / "08_reporting" / "champion_metadata.json").read_text()
    )["algorithm"]
    predictions = pd.read_parquet(
        data / "07_model_output" / champion / "predictions_test.parquet"
    )
    oracle = oracle_auc(
        json.loads((data / "02_intermediate" / "data_source.json").read_text()),
        pd.read_parquet(data / "02_intermediate" / "true_default_probability.parquet"),
        predictions,
    )
    auc = roc_auc_score(predictions[TARGET], predictions[PROBABILITY])
    return champion, auc, oracle


def describe_gap(project: Path) -> str:
    champion, auc, oracle = champion_against_oracle(project)
    return (
        f"champion {champion}: test AUC {auc:.4f}; oracle AUC (TRUE_PD) "
        f"{oracle:.4f}; gap {oracle - auc:.4f}; target within 0.01: "
        f"{'met' if oracle - auc <= 0.01 else 'MISSED'}"
    )


def part_oracle_after_origin(ours: Path, size: int) -> None:
    print(f"\n[d] champion against the oracle, {size:,} applications")
    run(ours, size, "--pipelines", "reporting")
    print(describe_gap(ours))


def part_oracle(sizes: list[int], seeds: int) -> None:
    print(
        f"\n[e] champion against the oracle: default kedro run, {seeds} generator "
        "seeds per size"
    )
    for size in sizes:
        gaps = []
        for seed in range(seeds):
            with tempfile.TemporaryDirectory() as folder:
                project = new_project(Path(folder))
                result = run(project, size, seed=seed)
                champion, auc, oracle = champion_against_oracle(project)
            gaps.append(oracle - auc)
            print(
                f"{size:,} applications, seed {seed}: champion {champion} test AUC "
                f"{auc:.4f}, oracle {oracle:.4f}, gap {oracle - auc:.4f} "
                f"({result['seconds']:.0f} s)"
            )
        median = statistics.median(gaps)
        print(
            f"{size:,} applications: median gap {median:.4f}; target within 0.01: "
            f"{'met' if median <= 0.01 else 'MISSED'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default="default,full,origin")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grid-applications", type=int, default=50_000)
    parser.add_argument("--oracle-applications", default="50000,100000")
    parser.add_argument("--oracle-seeds", type=int, default=3)
    parser.add_argument("--algorithm-applications", type=int, default=50_000)
    options = parser.parse_args()
    parts = options.parts.split(",")
    known = {"default", "full", "origin", "oracle", "algorithms"}
    if set(parts) - known:
        parser.error(
            f"unknown parts {sorted(set(parts) - known)}; known: {sorted(known)}"
        )
    print(f"{os.cpu_count()} cores; load average {load_average()} (1, 5, 15 min)")
    if "default" in parts:
        part_default(options.repeats)
    if "full" in parts:
        part_full()
    if "origin" in parts:
        part_origin(options.grid_applications)
    if "algorithms" in parts:
        part_algorithms(options.algorithm_applications)
    if "oracle" in parts:
        sizes = [int(size) for size in options.oracle_applications.split(",")]
        part_oracle(sizes, options.oracle_seeds)
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
