"""Nodes of the scoring pipeline: a batch of new applications to scores, a chunk of
applications at a time.

Validation and scoring are the project's own functions (``validation``, the
champion ``ScoringModel``). ``validate_chunk``, ``lookup_history`` and
``score_batch`` are pandas in, pandas out, on one chunk; ``score_in_chunks`` is the
generator node that streams the batch through them, keeps what spans chunks (the
batch's row numbers, its unique ``SK_ID_CURR``, the broken rules so far) and yields
each chunk's outputs, which the catalog appends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from loan_default.datasets import FrameChunks, as_lookup
from loan_default.features import columns_frame
from loan_default.model.scoring_model import DECISION, ScoringModel, reason_columns
from loan_default.schema import APPLICATION, APPLICATION_ID, PREVIOUS_APPLICATION
from loan_default.synthetic import generate_new_applications
from loan_default.validation import (
    Violation,
    find_row_violations,
    validate_table,
    violation_error,
)

logger = logging.getLogger(__name__)

INVALID_ROW_POLICIES = ("reject", "quarantine")
QUARANTINE_REASON_COLUMNS = ["batch_row", "column", "rule", "value"]
"""Lower case, so they cannot clash with the raw (upper case) columns that follow."""
CHUNK_COLUMNS = [
    "chunk",
    "first_row",
    "rows_received",
    "rows_quarantined",
    "rows_scored",
    "rows_flagged",
    "earlier_applications",
    "applicants_with_history",
    "model_version",
]
"""One row per chunk scored: what ``summarise_scoring`` adds up."""
_KEPT_EXAMPLES = 20


def _batch_label(source: dict[str, Any]) -> str:
    if source["kind"] == "file":
        return source["path"]
    return f"synthetic batch of new applications (seed {source['seed']})"


def collect_batch(
    new_application_batch: dict[str, Any], synthetic_batch: dict[str, Any]
) -> tuple[Any, pd.DataFrame, dict[str, Any]]:
    """The delivered batch file, or a synthetic batch when no file was delivered.

    Returns the raw applications as chunks (``chunks(size)``: a file is read a chunk
    at a time), the earlier applications the generator drew for its own applicants
    (validated; empty for a file, whose history is looked up in-house) and a
    JSON-ready description of the source.
    """
    source = new_application_batch["source"]
    if new_application_batch["application"] is not None:
        logger.info(
            "Scoring batch: file %s (sha256 %s)", source["path"], source["sha256"]
        )
        empty = pd.DataFrame(columns=PREVIOUS_APPLICATION.column_names)
        return new_application_batch["application"], empty, source
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
    history = validate_table(
        data.previous_application,
        PREVIOUS_APPLICATION,
        "synthetic previous applications of the batch",
        require_target=False,
    )
    return FrameChunks(data.application), history, synthetic


def _check_policy(invalid_rows: str) -> None:
    if invalid_rows not in INVALID_ROW_POLICIES:
        raise ValueError(
            f"parameters scoring.invalid_rows: expected one of "
            f"{list(INVALID_ROW_POLICIES)}, got {invalid_rows!r}"
        )


def _chunk_size(chunk_applications: int | None) -> int | None:
    if chunk_applications is None:
        return None
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


class UniqueKeys:
    """The ``SK_ID_CURR`` of the batch's rows so far, with their batch rows: a
    repeated application is found across chunks, with both rows."""

    def __init__(self) -> None:
        self._keys: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []

    def check(self, keys: np.ndarray, rows: np.ndarray, label: str) -> list[Violation]:
        """The repetition of any of ``keys`` (at batch ``rows``), then adds them."""
        seen = np.concatenate(self._keys) if self._keys else np.empty(0, keys.dtype)
        seen_rows = np.concatenate(self._rows) if self._rows else np.empty(0, "int64")
        repeated = pd.Series(keys).duplicated(keep=False).to_numpy() | np.isin(
            keys, seen
        )
        self._keys.append(keys)
        self._rows.append(rows)
        if not repeated.any():
            return []
        earlier = np.isin(seen, keys[repeated])
        found = np.concatenate([seen_rows[earlier], rows[repeated]])
        values = np.concatenate([seen[earlier], keys[repeated]])
        order = np.argsort(found, kind="stable")
        return [
            Violation(
                label,
                APPLICATION_ID,
                "expected unique values",
                found[order],
                [int(value) for value in values[order][:_KEPT_EXAMPLES]],
            )
        ]


@dataclass
class ValidatedChunk:
    """One chunk after validation: its typed valid rows, the reasons of its bad
    rows (``quarantine.csv``'s layout) and the row rules they break, by batch row."""

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    violations: list[Violation]


def _quarantine_reasons(
    application: pd.DataFrame, violations: list, first_row: int
) -> pd.DataFrame:
    """One row per broken rule per bad row, with the row's raw values after it;
    ``violations`` hold batch rows, ``application`` starts at ``first_row``."""
    parts = [
        pd.DataFrame(
            {
                "batch_row": violation.rows,
                "column": violation.column,
                "rule": violation.rule,
                "value": application[violation.column]
                .iloc[violation.rows - first_row]
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
    raw_rows = application.iloc[reasons["batch_row"].to_numpy() - first_row]
    return pd.concat(
        [reasons.reset_index(drop=True), raw_rows.reset_index(drop=True)], axis=1
    )


def validate_chunk(
    chunk: pd.DataFrame,
    first_row: int,
    label: str,
    keys: UniqueKeys,
    max_examples: int = 5,
) -> ValidatedChunk:
    """A chunk of the batch, starting at batch row ``first_row``, checked by the
    training schema's rules.

    Rows that break a row rule (dtype, range, level, required value) are split off
    with their reasons; the rest is validated and typed. A table rule fails at once,
    whatever the policy, since no row can be trusted then: a missing column, a
    repeated ``SK_ID_CURR`` (in this chunk or an earlier one), an empty batch. Row
    numbers in every message are the batch's.
    """
    violations = find_row_violations(chunk, APPLICATION, label)
    for violation in violations:
        violation.rows = violation.rows + first_row
    bad = np.unique(np.concatenate([v.rows for v in violations] or [[]]))
    bad = bad.astype("int64") - first_row
    kept = chunk.drop(index=chunk.index[bad])
    if APPLICATION_ID in kept.columns and len(kept):
        rows = np.setdiff1d(np.arange(len(chunk)), bad) + first_row
        keys_kept = pd.to_numeric(kept[APPLICATION_ID]).to_numpy()
        repeated = keys.check(keys_kept, rows, label)
        if repeated:
            raise violation_error(repeated, APPLICATION, label, max_examples)
    if len(kept) or not len(chunk):
        # Table rules, on the rows left: the row rules found nothing more there.
        valid = validate_table(
            kept, APPLICATION, label, require_target=False, max_examples=max_examples
        )
    else:
        valid = kept.reset_index(drop=True)
    return ValidatedChunk(
        valid=valid,
        quarantine=_quarantine_reasons(chunk, violations, first_row),
        violations=violations,
    )


def lookup_history(
    applications: pd.DataFrame, in_house_history: Any, generated_history: pd.DataFrame
) -> pd.DataFrame:
    """The earlier applications of ``applications``' applicants, as the lender
    holds them.

    History comes from the in-house table the model was trained with, by
    ``SK_ID_CURR`` (``in_house_history``: a lookup that reads only these
    applicants' rows, or the table itself); a synthetic batch brings the history
    the generator drew for its new applicants (``generated_history``, validated).
    """
    ids = applications[APPLICATION_ID].to_numpy()
    in_house = as_lookup(in_house_history, APPLICATION_ID).rows_of(ids)
    if not len(generated_history):
        return in_house
    generated = as_lookup(generated_history, APPLICATION_ID).rows_of(ids)
    return pd.concat([in_house, generated], ignore_index=True)


def score_batch(
    champion_model: ScoringModel,
    applications: pd.DataFrame,
    history: pd.DataFrame,
    reason_codes: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The applicant features and the scores of validated applications, from the
    champion: SK_ID_CURR, PROBABILITY, DECISION, RISK_DECILE, MODEL_VERSION, the
    names of up to ``reason_codes`` features that raised each applicant's risk the
    most (REASON_1, ...) and their statements, saved in the model
    (REASON_1_STATEMENT, ...).

    Each applicant is scored from its own row and its own history (the champion
    selects it by SK_ID_CURR), so the result does not depend on which other
    applicants are scored with it: a chunk's scores are the batch's.
    """
    scored = champion_model.score(applications, history, reason_codes=reason_codes)
    scores = pd.concat(
        [scored.scores, reason_columns(scored.reason_codes, reason_codes)], axis=1
    )
    return columns_frame(scored.features), scores


class _BrokenRules:
    """The row rules broken so far, merged over chunks, with their batch rows."""

    def __init__(self) -> None:
        self.by_rule: dict[tuple[str, str], Violation] = {}
        self.bad_rows = 0

    def add(self, violations: list[Violation]) -> None:
        rows = [v.rows for v in violations]
        self.bad_rows += len(np.unique(np.concatenate(rows))) if rows else 0
        for violation in violations:
            key = (violation.column, violation.rule)
            merged = self.by_rule.get(key)
            if merged is None:
                self.by_rule[key] = Violation(
                    violation.source,
                    violation.column,
                    violation.rule,
                    violation.rows,
                    violation.examples[:_KEPT_EXAMPLES],
                )
                continue
            merged.rows = np.concatenate([merged.rows, violation.rows])
            room = _KEPT_EXAMPLES - len(merged.examples)
            merged.examples.extend(violation.examples[: max(room, 0)])

    def error(self, label: str, max_examples: int) -> Exception:
        return violation_error(
            list(self.by_rule.values()), APPLICATION, label, max_examples
        )

    def describe(self) -> str:
        return "; ".join(
            f"{column}: {rule} x{len(violation.rows)}"
            for (column, rule), violation in self.by_rule.items()
        )


def score_in_chunks(  # noqa: PLR0917 (a node takes its inputs by position)
    champion_model: ScoringModel,
    batch: Any,
    in_house_history: Any,
    generated_history: pd.DataFrame,
    batch_source: dict[str, Any],
    invalid_rows: str,
    validation: dict[str, Any],
    reason_codes: int,
    chunk_applications: int | None,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """Validate, look up and score ``batch`` ``chunk_applications`` applications at
    a time (null: at once), yielding per chunk its features, scores, quarantined
    rows and a row of counts; the catalog appends each to its table.

    Only one chunk of the batch, of its history and of its outputs is in memory at
    a time. ``invalid_rows: reject`` stops scoring at the first broken row rule but
    validates the rest of the batch, then fails listing every broken rule of the
    batch; the run's outputs are staged, so nothing is committed. ``quarantine``
    sets bad rows aside with their reason and scores the rest; it fails only on a
    table rule or when no row of the batch is valid.
    """
    _check_policy(invalid_rows)
    size = _chunk_size(chunk_applications)
    label = _batch_label(batch_source)
    max_examples = int(validation.get("max_examples", 5))
    keys, broken = UniqueKeys(), _BrokenRules()
    received = scored = flagged = earlier = with_history = chunks = 0
    for number, chunk in enumerate(batch.chunks(size)):
        validated = validate_chunk(chunk, received, label, keys, max_examples)
        broken.add(validated.violations)
        first_row, received = received, received + len(chunk)
        if broken.by_rule and invalid_rows == "reject":
            continue  # validate the rest, to list every broken rule
        features, scores = pd.DataFrame(), pd.DataFrame()
        history = pd.DataFrame(columns=[APPLICATION_ID])
        if len(validated.valid):
            history = lookup_history(
                validated.valid, in_house_history, generated_history
            )
            features, scores = score_batch(
                champion_model, validated.valid, history, reason_codes
            )
        counts = {
            "chunk": number,
            "first_row": first_row,
            "rows_received": len(chunk),
            "rows_quarantined": len(chunk) - len(validated.valid),
            "rows_scored": len(scores),
            "rows_flagged": int(scores[DECISION].sum()) if len(scores) else 0,
            "earlier_applications": len(history),
            "applicants_with_history": int(history[APPLICATION_ID].nunique()),
            "model_version": champion_model.model_version,
        }
        scored, flagged = scored + len(scores), flagged + counts["rows_flagged"]
        earlier += len(history)
        with_history += counts["applicants_with_history"]
        chunks += 1
        logger.info(
            "Chunk %d: rows %d to %d, %d scored, %d quarantined",
            number,
            first_row,
            received - 1,
            len(scores),
            counts["rows_quarantined"],
        )
        yield (
            features,
            scores,
            validated.quarantine,
            pd.DataFrame([counts], columns=CHUNK_COLUMNS),
        )
    if broken.by_rule and (invalid_rows == "reject" or scored == 0):
        raise broken.error(label, max_examples)
    if broken.by_rule:
        logger.warning(
            "%s: quarantined %d of %d rows breaking a schema rule (%s); scoring the "
            "other %d",
            label,
            broken.bad_rows,
            received,
            broken.describe(),
            scored,
        )
    else:
        logger.info("%s: all %d rows pass validation", label, received)
    logger.info(
        "History: %d earlier applications for %d of %d batch applicants",
        earlier,
        with_history,
        scored,
    )
    if scored and with_history == 0:
        logger.warning(
            "No batch applicant has an earlier application on record: their "
            "history features all read 'no history'"
        )
    logger.info(
        "Scored %d applications in %d chunk(s) with %s model %s: %d flagged at "
        "threshold %.4f",
        scored,
        chunks,
        champion_model.algorithm,
        champion_model.model_version,
        flagged,
        champion_model.threshold,
    )


def summarise_scoring(
    batch_source: dict[str, Any],
    scoring_chunks: pd.DataFrame,
    invalid_rows: str,
) -> dict[str, Any]:
    """What the run scored: the batch's source, row counts, model and decisions,
    added up over the chunks."""
    received = int(scoring_chunks["rows_received"].sum())
    scored = int(scoring_chunks["rows_scored"].sum())
    versions = scoring_chunks["model_version"].dropna()
    return {
        "batch_source": {**batch_source, "rows": received},
        "invalid_rows": invalid_rows,
        "rows_received": received,
        "rows_quarantined": int(scoring_chunks["rows_quarantined"].sum()),
        "rows_scored": scored,
        "rows_flagged": int(scoring_chunks["rows_flagged"].sum()),
        "chunks": len(scoring_chunks),
        "model_version": str(versions.iloc[0]) if scored and len(versions) else None,
    }
