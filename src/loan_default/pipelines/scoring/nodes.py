"""Nodes of the scoring pipeline: a batch of new applications to scores.

Validation and scoring are the project's own functions (``validation``, the
champion ``ScoringModel``); these nodes only choose the batch, split off rows that
break a rule, and look up each applicant's history.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from loan_default.features import columns_frame
from loan_default.model.scoring_model import ScoringModel, reason_columns
from loan_default.schema import APPLICATION, APPLICATION_ID, PREVIOUS_APPLICATION
from loan_default.synthetic import generate_new_applications
from loan_default.validation import (
    RawDataValidationError,
    find_row_violations,
    validate_table,
)

logger = logging.getLogger(__name__)

INVALID_ROW_POLICIES = ("reject", "quarantine")
QUARANTINE_REASON_COLUMNS = ["batch_row", "column", "rule", "value"]
"""Lower case, so they cannot clash with the raw (upper case) columns that follow."""


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(columns=PREVIOUS_APPLICATION.column_names)


def _batch_label(source: dict[str, Any]) -> str:
    if source["kind"] == "file":
        return source["path"]
    return f"synthetic batch of new applications (seed {source['seed']})"


def collect_batch(
    new_application_batch: dict[str, Any], synthetic_batch: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The delivered batch file, or a synthetic batch when no file was delivered.

    Returns the raw applications, the earlier applications the generator drew for
    its own applicants (empty for a file: their history is looked up in-house) and a
    JSON-ready description of the source.
    """
    source = new_application_batch["source"]
    if new_application_batch["application"] is not None:
        logger.info(
            "Scoring batch: file %s (%d rows, sha256 %s)",
            source["path"],
            source["rows"],
            source["sha256"],
        )
        return new_application_batch["application"], _empty_history(), source
    drift = synthetic_batch.get("drift") or {}
    data = generate_new_applications(
        int(synthetic_batch["n_applications"]),
        int(synthetic_batch["seed"]),
        drift=drift,
        with_target=bool(synthetic_batch["with_target"]),
    )
    synthetic = {
        "kind": "synthetic",
        "seed": int(synthetic_batch["seed"]),
        "rows": len(data.application),
        "with_target": bool(synthetic_batch["with_target"]),
        "drift": drift,
        "absent_file": source["path"],
    }
    logger.info(
        "Scoring batch: synthetic (seed %d, %d applications, labels %s, drift %s); "
        "put a batch file at %s to score real applications",
        synthetic["seed"],
        synthetic["rows"],
        "included" if synthetic["with_target"] else "absent",
        drift or "none",
        source["path"],
    )
    return data.application, data.previous_application, synthetic


def _check_policy(invalid_rows: str) -> None:
    if invalid_rows not in INVALID_ROW_POLICIES:
        raise ValueError(
            f"parameters scoring.invalid_rows: expected one of "
            f"{list(INVALID_ROW_POLICIES)}, got {invalid_rows!r}"
        )


def _quarantine_reasons(application: pd.DataFrame, violations: list) -> pd.DataFrame:
    """One row per broken rule per batch row, with the row's raw values after it."""
    parts = [
        pd.DataFrame(
            {
                "batch_row": violation.rows,
                "column": violation.column,
                "rule": violation.rule,
                "value": application[violation.column]
                .iloc[violation.rows]
                .astype("string")
                .to_numpy(),
            }
        )
        for violation in violations
    ]
    raw_columns = list(application.columns)
    if not parts:
        return pd.DataFrame(columns=QUARANTINE_REASON_COLUMNS + raw_columns)
    reasons = pd.concat(parts, ignore_index=True).sort_values(
        "batch_row", kind="stable"
    )
    raw_rows = application.iloc[reasons["batch_row"].to_numpy()].reset_index(drop=True)
    return pd.concat([reasons.reset_index(drop=True), raw_rows], axis=1)


def validate_batch(
    application: pd.DataFrame,
    batch_source: dict[str, Any],
    invalid_rows: str,
    validation: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The batch typed by the training schema's rules, and its quarantined rows.

    ``invalid_rows: reject`` fails on any broken rule. ``quarantine`` sets aside the
    rows that break a row rule (dtype, range, level, required value) with the reason,
    and validates the rest; a table rule (a missing column, a repeated
    ``SK_ID_CURR``, no valid row left) still fails the batch, since no row can be
    trusted then. Every error lists file, column, rule, values and batch rows.
    """
    _check_policy(invalid_rows)
    label = _batch_label(batch_source)
    max_examples = int(validation.get("max_examples", 5))

    def validate_whole_batch() -> pd.DataFrame:
        return validate_table(
            application,
            APPLICATION,
            label,
            require_target=False,
            max_examples=max_examples,
        )

    if invalid_rows == "reject":
        return validate_whole_batch(), _quarantine_reasons(application, [])
    violations = find_row_violations(application, APPLICATION, label)
    bad_rows = np.unique(np.concatenate([v.rows for v in violations] or [[]]))
    if len(bad_rows) == len(application):
        validate_whole_batch()  # raises, listing every rule the rows break
    kept = application.drop(index=application.index[bad_rows.astype("int64")])
    try:
        valid = validate_table(
            kept,
            APPLICATION,
            label,
            require_target=False,
            max_examples=max_examples,
        )
    except RawDataValidationError:
        # A table rule: report it on the whole batch, so row numbers are the file's.
        validate_whole_batch()
        raise
    quarantine = _quarantine_reasons(application, violations)
    if len(bad_rows):
        broken = quarantine.groupby(["column", "rule"], sort=False).size()
        logger.warning(
            "%s: quarantined %d of %d rows breaking a schema rule (%s); scoring the "
            "other %d",
            label,
            len(bad_rows),
            len(application),
            "; ".join(f"{column}: {rule} x{n}" for (column, rule), n in broken.items()),
            len(valid),
        )
    else:
        logger.info("%s: all %d rows pass validation", label, len(application))
    return valid, quarantine


def lookup_history(
    applications: pd.DataFrame,
    previous_application_validated: pd.DataFrame,
    generated_history: pd.DataFrame,
) -> pd.DataFrame:
    """The batch applicants' earlier applications, as the lender holds them.

    History comes from the in-house table the model was trained with
    (``previous_application_validated``), by ``SK_ID_CURR``; a synthetic batch
    brings the history the generator drew for its new applicants, validated by the
    same schema rules.
    """
    in_house = previous_application_validated.loc[
        previous_application_validated[APPLICATION_ID].isin(
            applications[APPLICATION_ID]
        )
    ]
    parts = [in_house]
    if len(generated_history):
        generated = validate_table(
            generated_history,
            PREVIOUS_APPLICATION,
            "synthetic previous applications of the batch",
            require_target=False,
        )
        parts.append(
            generated.loc[generated[APPLICATION_ID].isin(applications[APPLICATION_ID])]
        )
    history = pd.concat(parts, ignore_index=True) if len(parts) > 1 else in_house
    with_history = history[APPLICATION_ID].nunique()
    logger.info(
        "History: %d earlier applications for %d of %d batch applicants",
        len(history),
        with_history,
        len(applications),
    )
    if len(applications) and with_history == 0:
        logger.warning(
            "No batch applicant has an earlier application on record: their "
            "history features all read 'no history'"
        )
    return history.reset_index(drop=True)


def _chunk_size(chunk_applications: int | None, n_applications: int) -> int:
    if chunk_applications is None:
        return max(n_applications, 1)
    if (
        isinstance(chunk_applications, bool)
        or not isinstance(chunk_applications, int)
        or chunk_applications < 1
    ):
        raise ValueError(
            "parameters scoring.chunk_applications: expected a positive integer or "
            f"null (one chunk), got {chunk_applications!r}"
        )
    return chunk_applications


def score_batch(
    champion_model: ScoringModel,
    applications: pd.DataFrame,
    history: pd.DataFrame,
    reason_codes: int,
    chunk_applications: int | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The applicant features and the scores of the batch, from the champion:
    SK_ID_CURR, PROBABILITY, DECISION, RISK_DECILE, MODEL_VERSION, the names of up
    to ``reason_codes`` features that raised each applicant's risk the most
    (REASON_1, ...) and their statements, saved in the model (REASON_1_STATEMENT,
    ...).

    The champion scores ``chunk_applications`` applications at a time (null: all at
    once), which bounds the memory of its intermediate matrices. Each applicant is
    scored from its own row and its own history (the champion selects it by
    SK_ID_CURR), so the result does not depend on the chunk size.
    """
    size = _chunk_size(chunk_applications, len(applications))
    features, scores = [], []
    for start in range(0, max(len(applications), 1), size):
        scored = champion_model.score(
            applications.iloc[start : start + size], history, reason_codes=reason_codes
        )
        features.append(columns_frame(scored.features))
        scores.append(
            pd.concat(
                [scored.scores, reason_columns(scored.reason_codes, reason_codes)],
                axis=1,
            )
        )
    batch_scores = pd.concat(scores, ignore_index=True)
    logger.info(
        "Scored %d applications in %d chunk(s) with %s model %s: %d flagged at "
        "threshold %.4f",
        len(batch_scores),
        len(scores),
        champion_model.algorithm,
        champion_model.model_version,
        int(batch_scores["DECISION"].sum()),
        champion_model.threshold,
    )
    return pd.concat(features, ignore_index=True), batch_scores


def summarise_scoring(
    batch_source: dict[str, Any],
    quarantine: pd.DataFrame,
    scores: pd.DataFrame,
    invalid_rows: str,
) -> dict[str, Any]:
    """What the run scored: the batch's source, row counts, model and decisions."""
    quarantined = int(quarantine["batch_row"].nunique())
    return {
        "batch_source": batch_source,
        "invalid_rows": invalid_rows,
        "rows_received": len(scores) + quarantined,
        "rows_quarantined": quarantined,
        "rows_scored": len(scores),
        "rows_flagged": int(scores["DECISION"].sum()),
        "model_version": str(scores["MODEL_VERSION"].iloc[0]) if len(scores) else None,
    }
