"""Wall time and peak memory of real ``kedro run`` commands, at several data sizes.

    python benchmarks/kedro_runs.py                          # default run, embedded size
    python benchmarks/kedro_runs.py --pipeline data_engineering --sizes 20000,307511
    python benchmarks/kedro_runs.py --repeats 5

Each run happens in a fresh copy of the project's configuration (so nothing in
data/ is touched) on synthetic data of the given size. Prints one line per size with
the median wall time over the repeats and the largest peak RSS of the kedro process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.project import make_project_copy  # noqa: E402  (shared with the tests)


def timed_kedro_run(project: Path, arguments: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one ``kedro run``; raises if it fails."""
    kedro = Path(sys.executable).with_name("kedro")
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(kedro), "run", *arguments],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(
            f"kedro run {' '.join(arguments)} failed:\n{process.stderr.read().decode()[-3000:]}"
        )
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pipeline", default=None, help="pipeline to run (default: the default run)"
    )
    parser.add_argument(
        "--sizes", default="20000", help="comma-separated numbers of applications"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per size (median reported)"
    )
    parser.add_argument("--runner", default=None, help="e.g. ParallelRunner")
    options = parser.parse_args()

    print(
        f"{'pipeline':<20} {'applications':>12} {'median s':>9} {'runs s':<24} {'peak RSS MB':>11}"
    )
    for size in (int(value) for value in options.sizes.split(",")):
        arguments = ["--params", f"synthetic_n_applications={size}"]
        if options.pipeline:
            arguments += ["--pipelines", options.pipeline]
        if options.runner:
            arguments += ["--runner", options.runner]
        times, peaks = [], []
        for _ in range(options.repeats):
            with tempfile.TemporaryDirectory() as folder:
                make_project_copy(Path(folder))
                seconds, peak = timed_kedro_run(Path(folder), arguments)
            times.append(seconds)
            peaks.append(peak)
        runs = ", ".join(f"{value:.1f}" for value in times)
        print(
            f"{options.pipeline or '__default__':<20} {size:>12,} {statistics.median(times):>9.1f} "
            f"{runs:<24} {max(peaks):>11.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
