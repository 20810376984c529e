"""The champion rule on hand-made comparison tables."""

from __future__ import annotations

import pandas as pd
import pytest

from loan_default.pipelines.modelling.nodes import select_champion

CHAMPION_RULE = {
    "rank_by": [
        {"metric": "AUC", "higher_is_better": True},
        {"metric": "Brier score", "higher_is_better": False},
    ],
    "decimals": 4,
}


def comparison(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model", "AUC", "Brier score"])


def test_champion_has_the_highest_auc():
    table = comparison([("a", 0.70, 0.05), ("b", 0.75, 0.09), ("c", 0.72, 0.01)])
    assert select_champion(table, CHAMPION_RULE) == "b"


def test_auc_tie_goes_to_the_lower_brier_score():
    # Equal to 4 decimals: a tie.
    table = comparison([("a", 0.75001, 0.09), ("b", 0.75003, 0.08), ("c", 0.7, 0.01)])
    assert select_champion(table, CHAMPION_RULE) == "b"


def test_full_tie_goes_to_the_first_name():
    table = comparison([("zeta", 0.75, 0.08), ("alpha", 0.75, 0.08)])
    assert select_champion(table, CHAMPION_RULE) == "alpha"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"rank_by": [{"metric": "AUROC", "higher_is_better": True}], "decimals": 4},
            r"rank_by\[0\]: expected a metric among \['AUC', 'Brier score'\]",
        ),
        (
            {"rank_by": [{"metric": "AUC", "higher_is_better": "yes"}], "decimals": 4},
            r"rank_by\[0\]",
        ),
        ({"rank_by": [], "decimals": 4}, "non-empty list"),
        ({**CHAMPION_RULE, "decimals": -1}, "champion.decimals"),
    ],
)
def test_bad_champion_rule_is_named(rule, message):
    table = comparison([("a", 0.7, 0.05)])
    with pytest.raises(ValueError, match=message):
        select_champion(table, rule)
