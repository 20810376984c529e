"""The default and the Spark environments' data engineering on the same data: wall
time and peak memory of every process (the kedro driver, Spark's JVM, its Python
workers), at several sizes, and how both grow per million applicants.

    python benchmarks/spark.py --sizes 1000000,3000000
    python benchmarks/spark.py --sizes 100000,300000 --environments spark

Each size is generated once, chunk by chunk (``loan_default.synthetic_parquet``), in a
fresh copy of the project's configuration: Parquet folders for the Spark environment
and, from the same chunks, the Kaggle-layout CSV files the default environment reads.
A run that fails (e.g. out of memory) is reported as failed with its peak so far.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION  # noqa: E402
from loan_default.synthetic_parquet import write_parquet_chunks  # noqa: E402
from tests.project import make_project_copy  # noqa: E402  (shared with the tests)

SAMPLE_SECONDS = 0.25


def _tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        try:
            children = (
                Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
            )
        except OSError:
            continue
        found += [int(child) for child in children]
        frontier += [int(child) for child in children]
    return found


def _peak_and_name(pid: int) -> tuple[str, float] | None:
    """The process's name and its peak resident memory so far (VmHWM, MB)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    peak = float(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    name = Path(command[0].decode() or fields.get("Name", "?").strip()).name
    if name.startswith("python") and len(command) > 1:
        name = "python " + Path(command[1].decode()).name
    return name, peak


def measured_run(project: Path, arguments: list[str]) -> dict[str, object]:
    """Wall time, success, and the peak RSS of each process of one ``kedro run``."""
    kedro = Path(sys.executable).with_name("kedro")
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    environment["LOAN_DEFAULT_TRACKING"] = "off"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(kedro), "run", *arguments],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peaks: dict[int, tuple[str, float]] = {}
    while process.poll() is None:
        for pid in _tree(process.pid):
            seen = _peak_and_name(pid)
            # A process that has exited but not been reaped reports no peak.
            if seen is not None and seen[1] >= peaks.get(pid, ("", 0.0))[1]:
                peaks[pid] = seen
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode()[-2000:] if process.returncode else ""
    by_kind: dict[str, float] = {}
    for name, peak in peaks.values():
        kind = "java (Spark JVM)" if name == "java" else name
        by_kind[kind] = max(by_kind.get(kind, 0.0), peak)
    return {
        "seconds": seconds,
        "ok": process.returncode == 0,
        "killed": process.returncode == -signal.SIGKILL,
        "peaks": by_kind,
        "error": error,
    }


def write_csv_from_parquet(raw: Path) -> None:
    """The Kaggle-layout CSV files from the Parquet folders, a part at a time."""
    for table, folder in (
        (APPLICATION, "application.parquet"),
        (PREVIOUS_APPLICATION, "previous_application.parquet"),
    ):
        target = raw / table.filename
        for number, part in enumerate(sorted((raw / folder).glob("*.parquet"))):
            pd.read_parquet(part).to_csv(
                target,
                index=False,
                header=number == 0,
                mode="w" if number == 0 else "a",
            )


def prepare(folder: Path, size: int, seed: int, chunk: int, csv: bool) -> Path:
    project = make_project_copy(folder)
    shutil.copytree(PROJECT_ROOT / "conf" / "spark", project / "conf" / "spark")
    raw = project / "data" / "01_raw"
    write_parquet_chunks(size, seed, raw, chunk)
    if csv:
        write_csv_from_parquet(raw)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000000,3000000")
    parser.add_argument("--environments", default="default,spark")
    parser.add_argument("--pipeline", default="data_engineering")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-applications", type=int, default=250_000)
    options = parser.parse_args()
    environments = options.environments.split(",")
    results: dict[str, list[tuple[int, float, float]]] = {
        env: [] for env in environments
    }
    print(
        f"{'env':<8} {'applications':>12} {'wall s':>8}  status  peak RSS per process (MB)"
    )
    for size in (int(value) for value in options.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            project = prepare(
                Path(folder),
                size,
                options.seed,
                options.chunk_applications,
                "default" in environments,
            )
            for env in environments:
                arguments = ["--pipelines", options.pipeline]
                if env != "default":
                    arguments += ["--env", env]
                run = measured_run(project, arguments)
                peaks = ", ".join(
                    f"{k} {v:,.0f}" for k, v in sorted(run["peaks"].items())
                )
                status = "ok" if run["ok"] else "FAILED"
                if run["killed"]:
                    status = "KILLED (SIGKILL: out of memory?)"
                print(
                    f"{env:<8} {size:>12,} {run['seconds']:>8.1f}  {status:<6}  {peaks}"
                )
                if not run["ok"] and not run["killed"]:
                    print("   ", run["error"].strip().splitlines()[-1:] or "")
                # A failed run's time and peak are where it stopped, not a growth.
                if run["ok"]:
                    highest = max(run["peaks"].values(), default=0.0)
                    results[env].append((size, run["seconds"], highest))
    for env, rows in results.items():
        if len(rows) >= 2:
            (n0, t0, m0), (n1, t1, m1) = rows[0], rows[-1]
            per_million = 1e6 / (n1 - n0)
            print(
                f"{env}: per million applicants +{(t1 - t0) * per_million:.0f} s, "
                f"largest process +{(m1 - m0) * per_million:,.0f} MB"
            )


if __name__ == "__main__":
    main()
