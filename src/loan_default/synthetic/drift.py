"""Batches of new applicants, optionally drifted, and the rules a drift must follow.

A checked drift is applied to the drawn columns in ``applications``
(``apply_numeric_drift``, ``apply_missing_drift``) and, for ``category_share``, to
the category weights the columns are drawn with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from loan_default.schema import APPLICATION, TARGET
from loan_default.synthetic.calibration import (
    APPLICATION_CATEGORY_COUNTS,
    NEW_APPLICATIONS_FIRST_ID,
    NEW_PREVIOUS_ID_FACTOR,
)
from loan_default.synthetic.population import (
    SyntheticLoanData,
    check_size,
    generate_tables,
)

DRIFT_KEYS = ("shift", "scale", "missing_rate", "category_share")


def generate_new_applications(
    n_applications: int,
    seed: int,
    *,
    drift: Mapping[str, Any] | None = None,
    with_target: bool = False,
    first_id: int = NEW_APPLICATIONS_FIRST_ID,
) -> SyntheticLoanData:
    """Draw a batch of new applicants, optionally drifted, with their history.

    ``SK_ID_CURR`` runs from ``first_id`` upwards and the batch's ``SK_ID_PREV`` from
    ``10 * first_id`` (above any training population's), so its history can be
    appended to the training history. ``TARGET`` is in the application
    frame only when ``with_target``; ``true_default_probability`` is always given.

    ``drift`` keys, all optional (unknown keys or columns raise ``ValueError``):

    - ``"shift"``: ``{column: delta}`` added to a numeric application column
      (``DAYS_EMPLOYED`` sentinels are kept), clipped to the schema's range;
    - ``"scale"``: ``{column: factor}`` multiplying a numeric application column;
    - ``"missing_rate"``: ``{column: rate}`` sets the share of missing values of a
      float or text column (raising it blanks random rows; lowering it is possible
      only for ``EXT_SOURCE_*``, whose hidden values exist);
    - ``"category_share"``: ``{column: {value: share}}`` sets the share of some
      values of a column drawn from ``APPLICATION_CATEGORY_COUNTS`` (the other
      values keep their relative sizes).

    Shifted, scaled and blanked values are what the risk function sees, so drift
    moves the default rate as real drift does: ``{"shift": {"EXT_SOURCE_3": -0.08}}``
    raises it. Example::

        generate_new_applications(
            5000,
            seed=7,
            drift={
                "shift": {"EXT_SOURCE_3": -0.08},
                "scale": {"AMT_INCOME_TOTAL": 1.15},
                "missing_rate": {"EXT_SOURCE_1": 0.8},
                "category_share": {"NAME_CONTRACT_TYPE": {"Revolving loans": 0.3}},
            },
        )
    """
    check_size(n_applications)
    if first_id < 1:
        raise ValueError(f"first_id must be a positive id, got {first_id}")
    checked_drift = check_drift(drift)
    rng = np.random.default_rng(seed)
    applicant_ids = first_id + np.arange(n_applications, dtype=np.int64)
    return generate_tables(
        rng,
        applicant_ids,
        np.empty(0, dtype=np.int64),
        drift=checked_drift,
        with_target=with_target,
        first_previous_id=NEW_PREVIOUS_ID_FACTOR * first_id,
    )


def check_drift(drift: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Refuse unknown keys, columns and values; return every key, empty if unused."""
    if drift is None:
        return {}
    unknown = set(drift) - set(DRIFT_KEYS)
    if unknown:
        raise ValueError(
            f"drift: unknown key(s) {sorted(unknown)}; allowed: {list(DRIFT_KEYS)}"
        )
    numeric = [
        column.name
        for column in APPLICATION.columns
        if column.is_numeric and column.name not in ("SK_ID_CURR", TARGET)
    ]
    for key in ("shift", "scale"):
        for name, value in drift.get(key, {}).items():
            if name not in numeric:
                raise ValueError(
                    f"drift[{key!r}]: {name!r} is not a numeric application column"
                )
            if not np.isfinite(value) or (key == "scale" and value <= 0):
                raise ValueError(f"drift[{key!r}][{name!r}]: bad value {value!r}")
    for name, rate in drift.get("missing_rate", {}).items():
        if name not in APPLICATION or APPLICATION[name].dtype == "int64":
            raise ValueError(
                f"drift['missing_rate']: {name!r} is not a float or text application "
                "column (integer columns have no missing values)"
            )
        if not 0 <= rate <= 1:
            raise ValueError(
                f"drift['missing_rate'][{name!r}]: rate {rate!r} is not in [0, 1]"
            )
    _check_category_shares(drift.get("category_share", {}))
    return {key: dict(drift.get(key, {})) for key in DRIFT_KEYS}


def _check_category_shares(category_share: Mapping[str, Mapping[str, float]]) -> None:
    for name, shares in category_share.items():
        if name not in APPLICATION_CATEGORY_COUNTS:
            raise ValueError(
                f"drift['category_share']: {name!r} is not one of the columns drawn "
                f"from category counts: {sorted(APPLICATION_CATEGORY_COUNTS)}"
            )
        allowed = APPLICATION_CATEGORY_COUNTS[name]
        bad = sorted(set(shares) - set(allowed))
        if bad:
            raise ValueError(
                f"drift['category_share'][{name!r}]: unknown value(s) {bad}"
            )
        total = sum(shares.values())
        if any(share < 0 for share in shares.values()) or total > 1:
            raise ValueError(
                f"drift['category_share'][{name!r}]: shares must be >= 0 and sum "
                f"to at most 1, got {dict(shares)}"
            )
