"""The command line, and the CSV files it writes as the Kaggle files look.

Usage::

    python -m loan_default.synthetic --n-applications 20000 --seed 42 \\
        --output-dir data/01_raw --new-applications 2000
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION
from loan_default.synthetic.drift import generate_new_applications
from loan_default.synthetic.population import SyntheticLoanData, generate_loan_data


def write_csv_files(
    data: SyntheticLoanData, output_dir: Path, application_filename: str | None = None
) -> list[Path]:
    """Write the tables as the Kaggle files look (schema order, header, no index).

    With ``application_filename`` (a batch of new applicants) the other two files get
    ``new_`` in front of their names.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    prefix = "" if application_filename is None else "new_"
    files = {
        application_filename or APPLICATION.filename: data.application,
        f"{prefix}{PREVIOUS_APPLICATION.filename}": data.previous_application,
        f"{prefix}true_default_probability.csv": data.true_default_probability,
    }
    written = []
    for filename, frame in files.items():
        path = output_dir / filename
        frame.to_csv(path, index=False)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m loan_default.synthetic",
        description="Write synthetic Loan Defaulter CSV files with the real schema.",
    )
    parser.add_argument("--n-applications", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument(
        "--new-applications",
        type=int,
        default=0,
        help="also write new_applications.csv (no TARGET) with this many applicants, "
        "their history in new_previous_application.csv",
    )
    arguments = parser.parse_args(argv)
    data = generate_loan_data(arguments.n_applications, arguments.seed)
    written = write_csv_files(data, arguments.output_dir)
    if arguments.new_applications:
        # The batch's own seed, so it differs from the training population.
        new = generate_new_applications(arguments.new_applications, arguments.seed + 1)
        written += write_csv_files(new, arguments.output_dir, "new_applications.csv")
    for path in written:
        print(path)  # noqa: T201
