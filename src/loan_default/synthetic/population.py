"""A drawn population: the training entry point and the core both entry points share.

``generate_tables`` draws the application columns, applies a checked drift, draws
the previous applications, then ``TARGET`` from the risk model, in that order: the
order of the draws from the one random generator is what makes a seed reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from loan_default.schema import APPLICATION, TARGET
from loan_default.synthetic.applications import (
    applicant_columns,
    apply_missing_drift,
    apply_numeric_drift,
)
from loan_default.synthetic.calibration import (
    FIRST_PREVIOUS_ID,
    FIRST_TRAINING_ID,
    ORPHAN_CLIENT_SHARE,
)
from loan_default.synthetic.columns import to_frame
from loan_default.synthetic.previous import previous_applications
from loan_default.synthetic.risk import (
    default_probability,
    draw_target,
    true_client_risk,
)


@dataclass(frozen=True)
class SyntheticLoanData:
    """Both raw tables and the exact default probability behind each ``TARGET``."""

    application: pd.DataFrame
    previous_application: pd.DataFrame
    true_default_probability: pd.DataFrame


def generate_loan_data(n_applications: int, seed: int) -> SyntheticLoanData:
    """Draw a training population: ``n_applications`` labelled applicants.

    Ids start at 100002 with gaps (as in the real file); ``previous_application`` also
    holds rows of clients absent from the application table, like the real file.
    """
    check_size(n_applications)
    rng = np.random.default_rng(seed)
    # Ids not taken by an applicant go to the clients of other portfolios.
    n_ids = int(np.ceil(n_applications * (1 + ORPHAN_CLIENT_SHARE))) + 1
    applicant_ids = FIRST_TRAINING_ID + np.sort(
        rng.choice(n_ids, n_applications, replace=False)
    )
    taken = np.zeros(n_ids, dtype=bool)
    taken[applicant_ids - FIRST_TRAINING_ID] = True
    orphan_ids = FIRST_TRAINING_ID + np.flatnonzero(~taken)
    return generate_tables(
        rng,
        applicant_ids,
        orphan_ids,
        drift=None,
        with_target=True,
        first_previous_id=FIRST_PREVIOUS_ID,
    )


def check_size(n_applications: int) -> None:
    if int(n_applications) != n_applications or n_applications < 1:
        raise ValueError(
            f"n_applications must be a positive integer, got {n_applications!r}"
        )


def generate_tables(
    rng: np.random.Generator,
    applicant_ids: np.ndarray,
    orphan_ids: np.ndarray,
    *,
    drift: Mapping[str, Mapping[str, Any]] | None,
    with_target: bool,
    first_previous_id: int,
) -> SyntheticLoanData:
    """Both tables for these applicants (and orphan clients), ``drift`` checked."""
    drift = drift or {}
    n_applicants = len(applicant_ids)
    columns, hidden = applicant_columns(
        rng, n_applicants, drift.get("category_share", {})
    )
    columns["SK_ID_CURR"] = applicant_ids
    apply_numeric_drift(columns, hidden, drift)
    apply_missing_drift(rng, columns, hidden, drift.get("missing_rate", {}))

    client_risk = true_client_risk(rng, n_applicants, hidden)
    previous, history = previous_applications(
        rng, applicant_ids, client_risk, orphan_ids, first_previous_id
    )
    probability = default_probability(columns, history)
    columns[TARGET] = draw_target(rng, probability)

    application = to_frame(columns, APPLICATION)
    if not with_target:
        application = application.drop(columns=TARGET)
    truth = pd.DataFrame(
        {
            "SK_ID_CURR": applicant_ids.astype("int64"),
            "TRUE_PD": probability.astype("float64"),
        }
    )
    return SyntheticLoanData(application, previous, truth)
