import pandas as pd
import pytest

from loan_default.monitoring.exports import html_report
from loan_default.monitoring.history import (
    HISTORY_COLUMNS,
    batch_id,
    history_rows,
    trends,
)


def test_batch_id_names_the_applicants_whatever_their_order():
    assert batch_id(pd.Series([3, 1, 2])) == batch_id(pd.Series([1, 2, 3]))
    assert batch_id(pd.Series([1, 2, 3])) != batch_id(pd.Series([1, 2, 4]))


def test_history_keeps_the_tracked_figures_only(drifted_outputs):
    rows = history_rows(drifted_outputs["metrics"], "b1")
    assert rows.columns.tolist() == HISTORY_COLUMNS
    assert set(rows["section"]) == {"drift", "score", "estimate", "performance"}
    assert set(rows.loc[rows["section"] == "drift", "statistic"]) == {"psi"}
    assert len(rows.loc[rows["section"] == "drift"]) == len(drifted_outputs["drift"])
    assert {"roc_auc", "roc_auc_lower", "roc_auc_realised"} <= set(
        rows.loc[rows["section"] == "estimate", "statistic"]
    )
    assert (rows["batch_id"] == "b1").all()


def _rows(batch: str, auc: float, realised: float | None = None) -> pd.DataFrame:
    figures = [("estimate", "", "roc_auc", 0.76, auc)]
    if realised is not None:
        figures.append(("estimate", "", "roc_auc_realised", None, realised))
    return pd.DataFrame(
        [(batch, *figure) for figure in figures],
        columns=["batch_id", "section", "feature", "statistic", "reference", "value"],
    )


def test_trends_keep_each_batchs_last_run_and_the_last_batches():
    runs = {
        "2026-01-01T06.00.00.000Z": _rows("a", 0.75),
        "2026-01-02T06.00.00.000Z": _rows("b", 0.74),
        "2026-01-03T06.00.00.000Z": _rows("c", 0.73),
        # Batch a again, its outcomes arrived: it keeps its place, gains a realised AUC.
        "2026-01-04T06.00.00.000Z": _rows("a", 0.75, realised=0.70),
    }
    table = trends(runs, last_batches=10)
    assert table["batch_id"].drop_duplicates().tolist() == ["a", "b", "c"]
    a = table.loc[table["batch_id"] == "a"]
    assert a["run"].unique().tolist() == ["2026-01-04T06.00.00.000Z"]
    assert a["first_run"].unique().tolist() == ["2026-01-01T06.00.00.000Z"]
    assert a.set_index("statistic").loc["roc_auc_realised", "value"] == 0.70
    assert trends(runs, last_batches=2)["batch_id"].unique().tolist() == ["b", "c"]


def test_trends_refuse_a_bad_window_and_accept_no_history():
    with pytest.raises(ValueError, match="history_batches must be at least 1"):
        trends({}, last_batches=0)
    assert trends({}, last_batches=3).empty


def test_report_plots_the_trends(drifted_outputs, monitoring_params):
    runs = {
        f"2026-01-{day:02d}T06.00.00.000Z": history_rows(
            drifted_outputs["metrics"], f"batch{day}"
        )
        for day in range(1, 4)
    }
    outputs = drifted_outputs | {"trends": trends(runs, 30)}
    page = html_report(outputs, monitoring_params)
    assert "Trends over the last 3 batches" in page
    assert "Trends over" not in html_report(drifted_outputs, monitoring_params)
