"""The previous-application table, and the history counts the risk model reads.

Most applicants have earlier applications; clients of other portfolios ("orphans",
absent from the application table) have some too, as in the real file. The
product sets the mix of outcomes, and refusals also follow each client's true risk;
amounts, terms, labels and schedules follow the product. Annuities are the level
payment of the credit at a rate drawn per loan, so amount, annuity and term imply a
meaningful interest rate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import expit

from loan_default.schema import MISSING_CATEGORY, PREVIOUS_APPLICATION
from loan_default.synthetic.calibration import (
    GOODS_POS_LINE,
    GOODS_SELLER_INDUSTRY,
    PREVIOUS_CARD_DRAWN_SHARE,
    PREVIOUS_CARD_MINIMUM_PAYMENT_SHARE,
    PREVIOUS_CARD_NEVER_BILLED_SHARE,
    PREVIOUS_CATEGORY_COUNTS,
    PREVIOUS_DECISION_DAYS,
    PREVIOUS_PAYMENT_COUNT_SHARES,
    PREVIOUS_PER_APPLICANT,
    PREVIOUS_REFUSAL_INTERCEPT,
    PREVIOUS_REFUSAL_TYPE_SHIFT,
    PREVIOUS_REFUSED_WITHOUT_TERMS_SHARE,
    PREVIOUS_RUNNING_LOAN_OPEN_SHARE,
    PREVIOUS_SELLER_PLACE,
    PREVIOUS_STATUS_SHARES_BY_TYPE,
    PREVIOUS_TERMINATION_DELAY_DAYS,
    PREVIOUS_YEARLY_RATE_RANGES,
    SENTINEL,
    SHARE_WITH_HISTORY,
)
from loan_default.synthetic.columns import (
    category_code,
    category_codes,
    draw_codes,
    nan_where,
    negative_binomial,
    round_to,
    to_frame,
)

Columns = dict[str, np.ndarray]


def _code(column: str, value: str) -> int:
    return category_code(PREVIOUS_APPLICATION, column, value)


def _per_type(contract: np.ndarray, by_type: Mapping[str, float]) -> np.ndarray:
    """Each row's ``by_type`` value for its contract type (0 for a type not in it)."""
    types = PREVIOUS_APPLICATION["NAME_CONTRACT_TYPE"].categories or ()
    return np.array([by_type.get(name, 0.0) for name in types])[contract]


def _contract_status(
    rng: np.random.Generator, contract: np.ndarray, risk: np.ndarray
) -> np.ndarray:
    """Status codes: refusals follow the client's risk, the product sets the mix.

    The product shifts the refusal log-odds so that each type is refused at its own
    rate; the other outcomes keep the type's mix among the rows not refused.
    """
    n_rows = len(contract)
    types = PREVIOUS_APPLICATION["NAME_CONTRACT_TYPE"].categories or ()
    # A type without a shift (XNA, never decided) is never refused.
    shift = np.array([PREVIOUS_REFUSAL_TYPE_SHIFT.get(name, -np.inf) for name in types])
    refused = rng.random(n_rows) < expit(
        PREVIOUS_REFUSAL_INTERCEPT
        + shift[contract]
        + 0.9 * risk
        + 0.5 * rng.standard_normal(n_rows)
    )
    outcomes = ("Approved", "Canceled", "Unused offer")
    shares = np.array(
        [
            [PREVIOUS_STATUS_SHARES_BY_TYPE[name][outcome] for outcome in outcomes]
            for name in types
        ]
    )
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    picked = (rng.random(n_rows)[:, None] > cumulative[contract]).sum(axis=1)
    outcome_codes = np.array([_code("NAME_CONTRACT_STATUS", name) for name in outcomes])
    return np.where(
        refused,
        _code("NAME_CONTRACT_STATUS", "Refused"),
        outcome_codes[np.minimum(picked, len(outcomes) - 1)],
    )


def _draw_from_grid(
    rng: np.random.Generator, shares: Mapping[int, float], n_rows: int
) -> np.ndarray:
    """Values of the grid ``shares`` (value -> relative frequency), as floats."""
    values = np.array(list(shares), dtype=float)
    cumulative = np.cumsum(list(shares.values()), dtype=float)
    cumulative /= cumulative[-1]
    return values[np.searchsorted(cumulative, rng.random(n_rows), side="right")]


def annuity_payment(
    credit: np.ndarray, yearly_rate: np.ndarray, n_payments: np.ndarray
) -> np.ndarray:
    """The level monthly payment that repays ``credit`` in ``n_payments`` months."""
    monthly_rate = yearly_rate / 12
    months = np.maximum(n_payments, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = monthly_rate / -np.expm1(-months * np.log1p(monthly_rate))
    return credit * np.where(monthly_rate > 0, factor, 1 / months)


def previous_applications(
    rng: np.random.Generator,
    applicant_ids: np.ndarray,
    applicant_risk: np.ndarray,
    orphan_ids: np.ndarray,
    first_previous_id: int,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The table, and per applicant the count of rows, refusals and approvals."""
    n_applicants = len(applicant_ids)
    with_history = rng.random(n_applicants) < SHARE_WITH_HISTORY
    extra = negative_binomial(rng, PREVIOUS_PER_APPLICANT - 1, 1.0, n_applicants)
    rows_per_applicant = np.where(with_history, 1 + extra, 0)
    rows_per_orphan = 1 + negative_binomial(rng, 4.26, 1.0, len(orphan_ids))
    client_ids = np.concatenate([applicant_ids, orphan_ids])
    client_risk = np.concatenate([applicant_risk, rng.standard_normal(len(orphan_ids))])
    # The client (index into client_ids) of each row; rows in random order, as in
    # the real file.
    owner = rng.permutation(
        np.repeat(
            np.arange(len(client_ids)),
            np.concatenate([rows_per_applicant, rows_per_orphan]),
        )
    )
    n_rows = len(owner)

    contract = draw_codes(
        rng,
        PREVIOUS_APPLICATION,
        "NAME_CONTRACT_TYPE",
        PREVIOUS_CATEGORY_COUNTS["CONTRACT_TYPE"],
        n_rows,
    )
    status = _contract_status(rng, contract, client_risk[owner])
    refused = status == _code("NAME_CONTRACT_STATUS", "Refused")
    columns: Columns = {"NAME_CONTRACT_TYPE": contract, "NAME_CONTRACT_STATUS": status}
    columns["SK_ID_CURR"] = client_ids[owner]
    columns["SK_ID_PREV"] = first_previous_id + rng.permutation(n_rows)
    kind = _previous_kind(rng, n_rows, columns)
    _previous_amounts(rng, n_rows, columns, kind)
    _previous_labels(rng, n_rows, columns, kind, owner)
    _previous_schedule(rng, n_rows, columns, kind)

    approved = status == _code("NAME_CONTRACT_STATUS", "Approved")
    n_clients = len(client_ids)
    history = {
        "count": rows_per_applicant.astype(float),
        "refused": np.bincount(owner, weights=refused, minlength=n_clients)[
            :n_applicants
        ],
        "approved": np.bincount(owner, weights=approved, minlength=n_clients)[
            :n_applicants
        ],
    }
    return to_frame(columns, PREVIOUS_APPLICATION), history


def _previous_kind(
    rng: np.random.Generator, n_rows: int, columns: Columns
) -> dict[str, np.ndarray]:
    """Which product each row is, and whether it ever got terms ("empty" if not)."""
    contract = columns["NAME_CONTRACT_TYPE"]
    status = columns["NAME_CONTRACT_STATUS"]
    refused = status == _code("NAME_CONTRACT_STATUS", "Refused")
    cash = contract == _code("NAME_CONTRACT_TYPE", "Cash loans")
    # Canceled requests (and some refused ones) never got terms: amounts 0.
    refused_without_terms = _per_type(contract, PREVIOUS_REFUSED_WITHOUT_TERMS_SHARE)
    empty = (
        (status == _code("NAME_CONTRACT_STATUS", "Canceled"))
        | (refused & (rng.random(n_rows) < refused_without_terms))
        | (contract == _code("NAME_CONTRACT_TYPE", MISSING_CATEGORY))
    )
    revolving = contract == _code("NAME_CONTRACT_TYPE", "Revolving loans")
    return {
        "empty": empty,
        "consumer": (contract == _code("NAME_CONTRACT_TYPE", "Consumer loans"))
        & ~empty,
        "cash": cash & ~empty,
        "cards": revolving & ~empty,
        "refused": refused,
        "approved": status == _code("NAME_CONTRACT_STATUS", "Approved"),
        "unused": status == _code("NAME_CONTRACT_STATUS", "Unused offer"),
        "revolving_contract": revolving,
        "consumer_contract": contract == _code("NAME_CONTRACT_TYPE", "Consumer loans"),
    }


def _previous_amounts(
    rng: np.random.Generator,
    n_rows: int,
    columns: Columns,
    kind: dict[str, np.ndarray],
) -> None:
    consumer, cash, cards, empty = (
        kind[name] for name in ("consumer", "cash", "cards", "empty")
    )
    asked = np.select(
        [consumer, cash, cards],
        [
            np.round(50000 * np.exp(0.9 * rng.standard_normal(n_rows)) * 2) / 2,
            round_to(225000 * np.exp(0.8 * rng.standard_normal(n_rows)), 4500),
            round_to(135000 * np.exp(0.5 * rng.standard_normal(n_rows)), 22500),
        ],
        0.0,
    )
    asked = np.clip(asked, 0, 4.05e6)
    down_share = np.where(
        rng.random(n_rows) < 0.5, 0.0, np.clip(rng.exponential(0.15, n_rows), 0, 0.8)
    )
    down_payment = np.round(asked * down_share, 2)
    insured = cash & (rng.random(n_rows) < 0.4)
    insurance = np.where(insured, 1 + rng.uniform(0.05, 0.15, n_rows), 1.0)
    credit = np.select(
        [consumer, cash, cards],
        [asked - down_payment, np.round(asked * insurance * 2) / 2, asked],
        0.0,
    )
    # Approved cash loans are sometimes granted less than asked.
    cut = kind["approved"] & cash & (rng.random(n_rows) < 0.15)
    credit = np.where(
        cut, round_to(credit * rng.uniform(0.5, 0.9, n_rows), 4500), credit
    )

    yield_group = np.where(
        consumer | cash,
        draw_codes(
            rng,
            PREVIOUS_APPLICATION,
            "NAME_YIELD_GROUP",
            PREVIOUS_CATEGORY_COUNTS["YIELD_GROUP"],
            n_rows,
        ),
        _code("NAME_YIELD_GROUP", MISSING_CATEGORY),
    )
    term = _payment_count(rng, n_rows, kind)
    # The yield group sets the range of the loan's yearly rate; cards instead ask a
    # share of the limit each month.
    yield_names = PREVIOUS_APPLICATION["NAME_YIELD_GROUP"].categories or ()
    lowest, highest = (
        np.array(
            [
                PREVIOUS_YEARLY_RATE_RANGES.get(name, (0.0, 0.0))[end]
                for name in yield_names
            ]
        )
        for end in (0, 1)
    )
    yearly_rate = rng.uniform(lowest[yield_group], highest[yield_group])
    annuity = np.where(
        term > 0,
        annuity_payment(credit, yearly_rate, term),
        credit * PREVIOUS_CARD_MINIMUM_PAYMENT_SHARE,
    )
    columns["NAME_YIELD_GROUP"] = yield_group
    columns["AMT_ANNUITY"] = nan_where(np.round(annuity, 3), empty)
    columns["AMT_APPLICATION"] = asked
    columns["AMT_CREDIT"] = credit
    columns["AMT_DOWN_PAYMENT"] = nan_where(down_payment, ~consumer)
    columns["RATE_DOWN_PAYMENT"] = nan_where(
        down_payment / np.fmax(asked, 1), ~consumer
    )
    columns["AMT_GOODS_PRICE"] = nan_where(
        asked, empty | (cards & (rng.random(n_rows) < 0.05))
    )
    columns["CNT_PAYMENT"] = nan_where(term, empty)
    has_rates = consumer & (rng.random(n_rows) < 0.008)
    columns["RATE_INTEREST_PRIMARY"] = nan_where(
        rng.uniform(0.14, 0.3, n_rows), ~has_rates
    )
    columns["RATE_INTEREST_PRIVILEGED"] = nan_where(
        rng.uniform(0.57, 0.87, n_rows), ~has_rates
    )
    columns["NFLAG_INSURED_ON_APPROVAL"] = nan_where(
        insured.astype(float), ~kind["approved"]
    )
    kind["term"] = term


def _payment_count(
    rng: np.random.Generator, n_rows: int, kind: dict[str, np.ndarray]
) -> np.ndarray:
    """CNT_PAYMENT from the product's grid of terms; 0 for cards (no fixed term)."""
    return np.select(
        [kind["consumer"], kind["cash"]],
        [
            _draw_from_grid(
                rng, PREVIOUS_PAYMENT_COUNT_SHARES["Consumer loans"], n_rows
            ),
            _draw_from_grid(rng, PREVIOUS_PAYMENT_COUNT_SHARES["Cash loans"], n_rows),
        ],
        0.0,
    )


def _seller_place_area(
    rng: np.random.Generator, n_rows: int, at_a_seller: np.ndarray
) -> np.ndarray:
    """Shops' areas have a long tail; the lender's own offices have none (-1)."""
    place = PREVIOUS_SELLER_PLACE
    area = np.round(
        place["median"] * np.exp(place["log_sd"] * rng.standard_normal(n_rows))
    )
    draw = rng.random(n_rows)
    zero_share = np.where(at_a_seller, place["zero_at_seller"], place["zero_elsewhere"])
    without_area = ~at_a_seller & (draw < place["none_elsewhere"])
    area = np.select(
        [without_area, draw > 1 - zero_share, rng.random(n_rows) < place["code_share"]],
        [-1, 0, place["code"]],
        np.maximum(area, 1),
    )
    return area


def _previous_labels(
    rng: np.random.Generator,
    n_rows: int,
    columns: Columns,
    kind: dict[str, np.ndarray],
    owner: np.ndarray,
) -> None:
    table = PREVIOUS_APPLICATION

    def draw(column: str, counts: Mapping[str, float]) -> np.ndarray:
        return draw_codes(rng, table, column, counts, n_rows)

    consumer, cash, cards, empty = (
        kind[name] for name in ("consumer", "cash", "cards", "empty")
    )
    columns["WEEKDAY_APPR_PROCESS_START"] = draw(
        "WEEKDAY_APPR_PROCESS_START",
        PREVIOUS_CATEGORY_COUNTS["WEEKDAY_APPR_PROCESS_START"],
    )
    columns["HOUR_APPR_PROCESS_START"] = np.clip(
        np.round(rng.normal(12.5, 3.3, n_rows)), 0, 23
    )
    columns["FLAG_LAST_APPL_PER_CONTRACT"] = np.where(
        rng.random(n_rows) < 0.9957,
        _code("FLAG_LAST_APPL_PER_CONTRACT", "Y"),
        _code("FLAG_LAST_APPL_PER_CONTRACT", "N"),
    )
    columns["NFLAG_LAST_APPL_IN_DAY"] = (rng.random(n_rows) < 0.997).astype(np.int64)
    columns["NAME_CASH_LOAN_PURPOSE"] = np.select(
        [cash & (rng.random(n_rows) < 0.1), cash | empty],
        [
            draw(
                "NAME_CASH_LOAN_PURPOSE", PREVIOUS_CATEGORY_COUNTS["CASH_LOAN_PURPOSE"]
            ),
            _code("NAME_CASH_LOAN_PURPOSE", MISSING_CATEGORY),
        ],
        _code("NAME_CASH_LOAN_PURPOSE", "XAP"),
    )
    # Approved loans go further back than the other decisions.
    approved_median, approved_log_sd = PREVIOUS_DECISION_DAYS["Approved"]
    other_median, other_log_sd = PREVIOUS_DECISION_DAYS["other"]
    median_days = np.where(kind["approved"], approved_median, other_median)
    log_sd = np.where(kind["approved"], approved_log_sd, other_log_sd)
    columns["DAYS_DECISION"] = -np.clip(
        np.round(median_days * np.exp(log_sd * rng.standard_normal(n_rows))), 1, 2922
    )
    columns["NAME_PAYMENT_TYPE"] = np.where(
        consumer | cash,
        draw("NAME_PAYMENT_TYPE", PREVIOUS_CATEGORY_COUNTS["PAYMENT_TYPE"]),
        _code("NAME_PAYMENT_TYPE", MISSING_CATEGORY),
    )
    columns["CODE_REJECT_REASON"] = np.select(
        [kind["refused"], kind["unused"]],
        [
            draw("CODE_REJECT_REASON", PREVIOUS_CATEGORY_COUNTS["REJECT_REASON"]),
            _code("CODE_REJECT_REASON", "CLIENT"),
        ],
        _code("CODE_REJECT_REASON", "XAP"),
    )
    columns["NAME_TYPE_SUITE"] = np.where(
        empty | (rng.random(n_rows) < 0.35),
        -1,
        draw("NAME_TYPE_SUITE", PREVIOUS_CATEGORY_COUNTS["NAME_TYPE_SUITE"]),
    )
    columns["NAME_CLIENT_TYPE"] = _client_type(rng, n_rows, columns, owner)

    goods = np.where(
        consumer,
        draw("NAME_GOODS_CATEGORY", PREVIOUS_CATEGORY_COUNTS["GOODS_CATEGORY"]),
        _code("NAME_GOODS_CATEGORY", MISSING_CATEGORY),
    )
    columns["NAME_GOODS_CATEGORY"] = goods
    goods_names = table["NAME_GOODS_CATEGORY"].categories
    seller_of_goods = category_codes(
        table,
        "NAME_SELLER_INDUSTRY",
        [
            GOODS_SELLER_INDUSTRY.get(name, "Consumer electronics")
            for name in goods_names
        ],
    )
    columns["NAME_SELLER_INDUSTRY"] = np.where(
        consumer,
        seller_of_goods[goods],
        _code("NAME_SELLER_INDUSTRY", MISSING_CATEGORY),
    )
    cars = consumer & (goods == _code("NAME_GOODS_CATEGORY", "Vehicles"))
    columns["NAME_PORTFOLIO"] = np.select(
        [cars & (rng.random(n_rows) < 0.1), consumer, cash, cards],
        [
            _code("NAME_PORTFOLIO", portfolio)
            for portfolio in ("Cars", "POS", "Cash", "Cards")
        ],
        _code("NAME_PORTFOLIO", MISSING_CATEGORY),
    )
    cross_sell = rng.random(n_rows) < 0.73
    columns["NAME_PRODUCT_TYPE"] = np.select(
        [(cash | cards) & cross_sell, cash | cards],
        [_code("NAME_PRODUCT_TYPE", "x-sell"), _code("NAME_PRODUCT_TYPE", "walk-in")],
        _code("NAME_PRODUCT_TYPE", MISSING_CATEGORY),
    )
    columns["CHANNEL_TYPE"] = np.where(
        consumer,
        draw("CHANNEL_TYPE", PREVIOUS_CATEGORY_COUNTS["CONSUMER_CHANNEL_TYPE"]),
        draw("CHANNEL_TYPE", PREVIOUS_CATEGORY_COUNTS["OTHER_CHANNEL_TYPE"]),
    )
    columns["SELLERPLACE_AREA"] = _seller_place_area(
        rng, n_rows, kind["consumer_contract"]
    )
    columns["PRODUCT_COMBINATION"] = _product_combination(
        rng, n_rows, columns, kind, cross_sell
    )


def _client_type(
    rng: np.random.Generator, n_rows: int, columns: Columns, owner: np.ndarray
) -> np.ndarray:
    """A client's earliest application is "New", the later ones repeat."""
    order = np.lexsort((columns["DAYS_DECISION"], owner))
    first_sorted = np.ones(n_rows, dtype=bool)
    first_sorted[1:] = owner[order][1:] != owner[order][:-1]
    first = np.empty(n_rows, dtype=bool)
    first[order] = first_sorted
    # -2 marks the later rows that are not "Repeater", decided next.
    later = np.where(
        rng.random(n_rows) < 0.9, _code("NAME_CLIENT_TYPE", "Repeater"), -2
    )
    later = np.where(
        later == -2,
        np.where(
            rng.random(n_rows) < 0.99,
            _code("NAME_CLIENT_TYPE", "Refreshed"),
            _code("NAME_CLIENT_TYPE", MISSING_CATEGORY),
        ),
        later,
    )
    return np.where(
        first,
        np.where(
            rng.random(n_rows) < 0.95,
            _code("NAME_CLIENT_TYPE", "New"),
            _code("NAME_CLIENT_TYPE", "Refreshed"),
        ),
        later,
    )


def _product_combination(
    rng: np.random.Generator,
    n_rows: int,
    columns: Columns,
    kind: dict[str, np.ndarray],
    cross_sell: np.ndarray,
) -> np.ndarray:
    table = PREVIOUS_APPLICATION

    def product_code(value: str) -> int:
        return category_code(table, "PRODUCT_COMBINATION", value)

    goods_names = table["NAME_GOODS_CATEGORY"].categories
    line_of_goods = np.array(
        [
            ("household", "mobile", "industry", "other").index(
                GOODS_POS_LINE.get(name, "other")
            )
            for name in goods_names
        ]
    )
    # Rows: product line; columns: with interest, without interest.
    pos_codes = np.array(
        [
            [
                product_code(f"POS {line} with interest"),
                product_code(f"POS {line} without interest"),
            ]
            for line in ("household", "mobile", "industry")
        ]
        + [
            [
                product_code("POS other with interest"),
                product_code("POS others without interest"),
            ]
        ]
    )
    yield_group = columns["NAME_YIELD_GROUP"]
    interest_free = yield_group == _code("NAME_YIELD_GROUP", "low_action")
    pos = pos_codes[
        line_of_goods[columns["NAME_GOODS_CATEGORY"]], interest_free.astype(int)
    ]
    # Yield groups in schema order: XNA, middle, high, low_normal, low_action.
    cash_level = ("low", "middle", "high", "low", "low")
    street_codes = np.array(
        [product_code(f"Cash Street: {level}") for level in cash_level]
    )
    x_sell_codes = np.array(
        [product_code(f"Cash X-Sell: {level}") for level in cash_level]
    )
    street = street_codes[yield_group]
    x_sell = x_sell_codes[yield_group]
    combination = np.select(
        [kind["consumer"], kind["cash"], kind["cards"], kind["revolving_contract"]],
        [
            pos,
            np.where(cross_sell, x_sell, street),
            np.where(
                cross_sell,
                product_code("Card X-Sell"),
                product_code("Card Street"),
            ),
            product_code("Card Street"),
        ],
        product_code("Cash"),
    )
    return np.where(rng.random(n_rows) < 0.0002, -1, combination)


def _previous_schedule(
    rng: np.random.Generator,
    n_rows: int,
    columns: Columns,
    kind: dict[str, np.ndarray],
) -> None:
    """Approved loans get their schedule; 365243 marks "not yet" or "never"."""
    cards, term = kind["cards"], kind["term"]
    decision = columns["DAYS_DECISION"]
    first_due_planned = decision + rng.integers(20, 45, n_rows)
    # Instalment loans get their last due date at approval, future or past; cards
    # have no end.
    last_due_planned = np.where(
        cards, SENTINEL, first_due_planned + 30 * (np.maximum(term, 1) - 1)
    )
    never_billed = cards & (rng.random(n_rows) < PREVIOUS_CARD_NEVER_BILLED_SHARE)
    not_yet_due = first_due_planned >= 0
    first_due = np.where(never_billed | not_yet_due, SENTINEL, first_due_planned)
    # Loans whose schedule runs past today are open unless repaid early (any day
    # since the first due date); the others ended on schedule or somewhat earlier.
    running = ~cards & (last_due_planned >= 0)
    open_loan = cards | (
        running
        & (not_yet_due | (rng.random(n_rows) < PREVIOUS_RUNNING_LOAN_OPEN_SHARE))
    )
    repaid_early = first_due_planned + np.floor(
        rng.random(n_rows) * np.maximum(-first_due_planned, 1)
    )
    early = rng.random(n_rows) < 0.35
    repaid_on_schedule = np.maximum(
        last_due_planned - np.where(early, rng.integers(0, 300, n_rows), 0),
        first_due_planned,
    )
    last_due = np.select(
        [open_loan, running], [SENTINEL, repaid_early], repaid_on_schedule
    )
    termination = last_due + rng.integers(0, PREVIOUS_TERMINATION_DELAY_DAYS, n_rows)
    termination = np.where(
        (last_due == SENTINEL) | (termination > 0), SENTINEL, termination
    )
    drawing = decision + rng.integers(0, 30, n_rows)
    first_drawing = np.where(
        cards & (rng.random(n_rows) < PREVIOUS_CARD_DRAWN_SHARE) & (drawing <= 0),
        drawing,
        SENTINEL,
    )
    not_approved = ~kind["approved"]
    columns["DAYS_FIRST_DRAWING"] = nan_where(first_drawing, not_approved)
    columns["DAYS_FIRST_DUE"] = nan_where(first_due, not_approved)
    columns["DAYS_LAST_DUE_1ST_VERSION"] = nan_where(last_due_planned, not_approved)
    columns["DAYS_LAST_DUE"] = nan_where(last_due, not_approved)
    columns["DAYS_TERMINATION"] = nan_where(termination, not_approved)
