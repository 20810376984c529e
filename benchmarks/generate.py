"""Time and peak memory of the synthetic data generator.

Prints the median wall time of a few runs at 20,000 applications and one run at
full scale (307,511), with the peak resident memory of the process.

    python benchmarks/generate.py [--skip-full]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from loan_default.synthetic import generate_loan_data


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def time_generation(n_applications: int, repeats: int) -> tuple[float, int]:
    timings = []
    rows = 0
    for repeat in range(repeats):
        start = time.perf_counter()
        data = generate_loan_data(n_applications, seed=repeat)
        timings.append(time.perf_counter() - start)
        rows = len(data.previous_application)
        del data
    return statistics.median(timings), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-full", action="store_true")
    arguments = parser.parse_args()
    sizes = [(20_000, 5)] + ([] if arguments.skip_full else [(307_511, 1)])
    for n_applications, repeats in sizes:
        seconds, previous_rows = time_generation(n_applications, repeats)
        print(  # noqa: T201
            f"{n_applications:>8,} applications, {previous_rows:>9,} previous rows: "
            f"median {seconds:6.2f} s over {repeats} run(s); "
            f"peak RSS so far {peak_rss_mib():,.0f} MiB"
        )


if __name__ == "__main__":
    main()
