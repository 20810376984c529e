"""Monitoring nodes: the reference and the batch, then each check on its own.

The checks run on generated scored frames (``tests.monitoring.conftest``) with a
small XGBoost fitted on them; the upstream nodes on the small trained project, the
contributions on the suite's small champions.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from loan_default.monitoring import MonitoringActAlertError
from loan_default.monitoring.history import batch_id
from loan_default.monitoring.table import ESTIMATE_METHOD, METRICS_COLUMNS
from loan_default.pipelines.monitoring.nodes import (
    IMPORTANCE_METHOD,
    build_metrics_table,
    build_reference,
    check_act_alerts,
    compute_contributions,
    describe_monitoring_run,
    estimate_performance,
    export_alerts,
    export_prometheus,
    join_batch_scores,
    measure_data_quality,
    measure_decile_shares,
    measure_feature_drift,
    measure_importance_stability,
    measure_performance,
    measure_score_stability,
    profile_clients,
    raise_alerts,
    reference_performance,
    render_report,
)
from loan_default.pipelines.scoring.nodes import score_batch
from loan_default.schema import APPLICATION_ID, TARGET
from tests.pipelines.monitoring.conftest import SCORING_SUMMARY

# --- the reference and the batch --------------------------------------------------


@pytest.fixture(scope="module")
def reference(trained) -> pd.DataFrame:
    return build_reference(
        trained.application_test,
        trained.previous_application_validated,
        trained.champion,
    )


@pytest.fixture(scope="module")
def batch(trained):
    """Some training applicants' features scored again, as scoring leaves them."""
    applications = trained.application_validated.head(400).drop(columns=TARGET)
    features, scores = score_batch(
        trained.champion,
        applications,
        trained.previous_application_validated,
        2,
    )
    return features, scores


def test_reference_is_the_test_applicants_with_champion_scores(trained, reference):
    assert reference[APPLICATION_ID].tolist() == (
        trained.application_test[APPLICATION_ID].tolist()
    )
    assert {"PROBABILITY", "DECISION", "RISK_DECILE"} <= set(reference.columns)
    assert "MODEL_VERSION" not in reference.columns  # text, but not a feature
    expected = trained.champion.score(
        trained.application_test, trained.previous_application_validated
    ).scores
    assert reference["PROBABILITY"].tolist() == expected["PROBABILITY"].tolist()
    # The decile edges were cut on validation scores: test fills them about evenly.
    shares = reference["RISK_DECILE"].value_counts(normalize=True)
    assert shares.between(0.04, 0.2).all()


def test_batch_features_and_scores_must_belong_together(trained, batch):
    features, scores = batch
    joined = join_batch_scores(features, scores, trained.champion)
    assert joined["PROBABILITY"].tolist() == scores["PROBABILITY"].tolist()
    with pytest.raises(ValueError, match="different scoring runs"):
        join_batch_scores(features, scores.iloc[::-1], trained.champion)
    stale = scores.assign(MODEL_VERSION="2029-12-31T00.00.00.000Z")
    with pytest.raises(ValueError, match=r"\['2029-12-31T00.00.00.000Z'\].*scoring"):
        join_batch_scores(features, stale, trained.champion)


def test_reference_performance_uses_the_operating_threshold_metrics(trained):
    metrics_test = trained.champion.metadata["metrics_test"]
    reference = reference_performance(trained.champion.metadata)
    assert reference["roc_auc"] == metrics_test["AUC"]
    assert reference["gini"] == metrics_test["Gini"]
    assert reference["recall"] == metrics_test["Recall at threshold"]
    assert reference["flagged_share"] == metrics_test["Flagged share at threshold"]
    assert reference_performance({}) == {}


@pytest.fixture(scope="module")
def applicant_features(raw_data, champion) -> pd.DataFrame:
    """Features of the shared small champion's applicants, as scoring keeps them."""
    return champion.features(raw_data.application, raw_data.previous_application)


def test_contributions_come_from_the_champion_encoding(champion, applicant_features):
    before, after = compute_contributions(
        applicant_features,
        applicant_features.head(500),
        champion,
        {"sample_rows": 300, "seed": 0},
    )
    assert len(before) == 300 and len(after) == 300
    assert list(before.columns) == champion.feature_names
    assert list(after.columns) == champion.feature_names


def test_an_estimator_without_contributions_skips_importance(
    logistic_champion,
    applicant_features,
    generated_reference,
    monitoring_params,
    caplog,
):
    with caplog.at_level(logging.WARNING):
        before, after = compute_contributions(
            applicant_features,
            applicant_features,
            logistic_champion,
            monitoring_params["contributions"],
        )
    assert before.empty and after.empty
    assert "Importance stability and client profile skipped" in caplog.text
    importance = measure_importance_stability(before, after)
    assert importance.empty
    profile = profile_clients(
        generated_reference,
        generated_reference,
        importance,
        monitoring_params["score_columns"],
        monitoring_params["profile_features"],
    )
    assert profile.empty
    assert list(profile.columns) == [
        "risk_decile",
        "feature",
        "reference",
        "current",
        "change",
    ]


# --- the checks on generated frames ---------------------------------------------


@pytest.fixture(scope="module")
def checks(
    generated_reference, generated_drifted_batch, generated_champion, monitoring_params
) -> dict:
    """Every check of the drifted, labelled batch, node after node."""
    params = monitoring_params
    reference, batch = generated_reference, generated_drifted_batch
    columns, psi, workers = params["score_columns"], params["psi"], params["workers"]
    estimated = params["estimated_performance"]
    drift, characteristic = measure_feature_drift(
        reference, batch, columns, psi, workers
    )
    results = {
        "drift": drift,
        "characteristic": characteristic,
        "quality": measure_data_quality(reference, batch, columns, workers),
        "decile_shares": measure_decile_shares(reference, batch, columns, psi),
        "performance": measure_performance(batch, generated_champion, columns),
        "estimates": estimate_performance(
            reference, batch, generated_champion, columns, estimated
        ),
    }
    (
        results["score_statistics"],
        results["score_psi"],
        results["score_histogram"],
    ) = measure_score_stability(
        reference, batch, columns, psi, params["score_quantiles"]
    )
    contributions = compute_contributions(
        reference, batch, generated_champion, params["contributions"]
    )
    results["importance"] = measure_importance_stability(*contributions)
    results["client_profile"] = profile_clients(
        reference, batch, results["importance"], columns, params["profile_features"]
    )
    results["metrics"] = build_metrics_table(
        **{
            name: results[name]
            for name in (
                "quality",
                "drift",
                "score_statistics",
                "score_psi",
                "decile_shares",
                "importance",
                "performance",
                "estimates",
            )
        }
    )
    results["alerts"] = raise_alerts(
        quality=results["quality"],
        drift=results["drift"],
        score_psi=results["score_psi"],
        estimates=results["estimates"],
        psi=psi,
        null_share_jump=params["null_share_jump"],
        estimated=estimated,
    )
    results["context"] = describe_monitoring_run(
        reference, batch, generated_champion, SCORING_SUMMARY
    )
    return results


def test_drifted_labelled_batch_gives_every_part(checks, monitoring_params):
    alerts = checks["alerts"].set_index("name")
    assert alerts.loc["feature_drift_num_00", "severity"] == "act"
    assert alerts.loc["score_drift", "severity"] == "act"
    assert checks["metrics"].columns.tolist() == METRICS_COLUMNS
    assert set(checks["metrics"]["section"]) == {
        "quality",
        "drift",
        "score",
        "risk_decile",
        "importance",
        "performance",
        "estimate",
    }
    profile = checks["client_profile"]
    assert profile["feature"].nunique() == monitoring_params["profile_features"]
    assert checks["importance"]["feature"].iloc[0] == "num_00"


def test_importance_figures_name_their_method(checks):
    assert (checks["importance"]["method"] == IMPORTANCE_METHOD).all()
    metrics = checks["metrics"]
    importance = metrics["section"] == "importance"
    estimate = metrics["section"] == "estimate"
    assert (metrics.loc[importance, "method"] == IMPORTANCE_METHOD).all()
    assert (metrics.loc[estimate, "method"] == ESTIMATE_METHOD).all()
    assert (metrics.loc[~importance & ~estimate, "method"] == "").all()
    assert IMPORTANCE_METHOD == "tree-path (Saabas) approximation"


def test_performance_is_against_the_champion_test_figures(checks):
    performance = checks["performance"].set_index("metric")
    assert performance.loc["roc_auc", "reference"] == 0.75
    assert 0.5 < performance.loc["roc_auc", "current"] <= 1


def test_unlabelled_batch_gives_an_empty_performance_table(
    generated_reference, generated_stable_batch, generated_champion, monitoring_params
):
    columns = monitoring_params["score_columns"]
    performance = measure_performance(
        generated_stable_batch, generated_champion, columns
    )
    assert performance.empty
    assert list(performance.columns) == ["metric", "reference", "current", "change"]
    outcomes_pending = generated_stable_batch.assign(**{TARGET: pd.NA})
    assert measure_performance(outcomes_pending, generated_champion, columns).empty


def test_stable_batch_raises_no_act_alert(
    generated_reference, generated_stable_batch, generated_champion, monitoring_params
):
    params = monitoring_params
    reference, batch = generated_reference, generated_stable_batch
    columns = params["score_columns"]
    quality = measure_data_quality(reference, batch, columns, 1)
    drift, _ = measure_feature_drift(reference, batch, columns, params["psi"], 1)
    statistics, score_psi, _ = measure_score_stability(
        reference, batch, columns, params["psi"], params["score_quantiles"]
    )
    empty = pd.DataFrame()
    estimates = estimate_performance(
        reference, batch, generated_champion, columns, params["estimated_performance"]
    )
    metrics = build_metrics_table(
        quality=quality,
        drift=drift,
        score_statistics=statistics,
        score_psi=score_psi,
        decile_shares=measure_decile_shares(reference, batch, columns, params["psi"]),
        importance=empty,
        performance=empty,
        estimates=estimates,
    )
    alerts = raise_alerts(
        quality=quality,
        drift=drift,
        score_psi=score_psi,
        estimates=estimates,
        psi=params["psi"],
        null_share_jump=params["null_share_jump"],
        estimated=params["estimated_performance"],
    )
    assert estimates["realised"].isna().all()
    assert (alerts["severity"] == "act").sum() == 0
    assert score_psi < 0.1
    assert "performance" not in set(metrics["section"])


def test_estimates_sit_beside_the_realised_figures(checks, generated_champion):
    estimates = checks["estimates"].set_index("metric")
    performance = checks["performance"].set_index("metric")
    # The realised AUC is the performance check's, computed by scikit-learn.
    assert estimates.loc["roc_auc", "realised"] == pytest.approx(
        performance.loc["roc_auc", "current"]
    )
    assert estimates.loc["recall", "realised"] == pytest.approx(
        performance.loc["recall", "current"]
    )
    low, high = estimates.loc["roc_auc", ["lower", "upper"]]
    assert low < estimates.loc["roc_auc", "estimate"] < high


def test_characteristic_analysis_node_covers_every_feature(checks):
    characteristic = checks["characteristic"]
    assert set(characteristic["feature"]) == set(checks["drift"]["feature"])
    csi = characteristic.groupby("feature")["csi_contribution"].sum()
    drift = checks["drift"].set_index("feature")["psi"]
    assert csi[drift.index].to_numpy() == pytest.approx(drift.to_numpy())


def test_decile_shares_are_the_population_stability_report(checks):
    shares = checks["decile_shares"]
    assert {"psi_contribution", "mean_score_reference", "mean_score_current"} <= set(
        shares.columns
    )
    assert (shares["psi_contribution"] >= 0).all()


def test_unscored_frames_are_refused_by_the_score_checks(
    generated_reference, generated_stable_batch, monitoring_params
):
    params = monitoring_params
    columns = params["score_columns"]
    unscored = generated_stable_batch.drop(columns=list(columns.values()))
    with pytest.raises(ValueError, match="batch has no column 'PROBABILITY'"):
        measure_score_stability(
            generated_reference,
            unscored,
            columns,
            params["psi"],
            params["score_quantiles"],
        )
    with pytest.raises(ValueError, match="reference has no column 'RISK_DECILE'"):
        measure_decile_shares(unscored, generated_reference, columns, params["psi"])


def test_a_batch_that_lost_a_feature_is_refused(
    generated_reference, generated_stable_batch, monitoring_params
):
    broken = generated_stable_batch.drop(columns="num_03")
    columns = monitoring_params["score_columns"]
    with pytest.raises(ValueError, match=r"missing from the batch: \['num_03'\]"):
        measure_data_quality(generated_reference, broken, columns, 1)
    with pytest.raises(ValueError, match=r"missing from the batch: \['num_03'\]"):
        measure_feature_drift(
            generated_reference, broken, columns, monitoring_params["psi"], 1
        )


def test_exports_carry_the_context(checks, generated_drifted_batch, monitoring_params):
    context = checks["context"]
    assert context == {
        "model": "xgboost 2030-01-01T00.00.00.000Z",
        "batch": "synthetic, seed 7, drift none",
        "rows_quarantined": 0,
        "batch_id": batch_id(generated_drifted_batch[APPLICATION_ID]),
        "batch_rows": 2_000,
        "reference_rows": 6_000,
    }
    document = export_alerts(checks["alerts"], context)
    assert document["counts"]["act"] == (checks["alerts"]["severity"] == "act").sum()
    assert document["batch_rows"] == 2_000
    assert len(document["alerts"]) == len(checks["alerts"])
    prometheus = export_prometheus(
        metrics=checks["metrics"],
        alerts=checks["alerts"],
        context=context,
        psi=monitoring_params["psi"],
        null_share_jump=monitoring_params["null_share_jump"],
        estimated=monitoring_params["estimated_performance"],
    )
    assert "loan_default_batch_rows 2000.0" in prometheus
    assert 'loan_default_threshold{check="psi",severity="act"} 0.25' in prometheus
    page = render_report(
        context=context,
        alerts=checks["alerts"],
        quality=checks["quality"],
        drift=checks["drift"],
        score_statistics=checks["score_statistics"],
        score_psi=checks["score_psi"],
        score_histogram=checks["score_histogram"],
        decile_shares=checks["decile_shares"],
        importance=checks["importance"],
        client_profile=checks["client_profile"],
        performance=checks["performance"],
        estimates=checks["estimates"],
        characteristic=checks["characteristic"],
        trends=pd.DataFrame(),
        report=monitoring_params["report"],
        psi=monitoring_params["psi"],
    )
    assert "2000 applications in the batch against 6000 in the" in page
    assert "synthetic, seed 7, drift none" in page
    assert "method: tree-path (Saabas) approximation" in page
    assert "Performance on labelled outcomes" in page
    unmeasured = render_report(
        context=context,
        alerts=checks["alerts"],
        quality=checks["quality"],
        drift=checks["drift"],
        score_statistics=checks["score_statistics"],
        score_psi=checks["score_psi"],
        score_histogram=checks["score_histogram"],
        decile_shares=checks["decile_shares"],
        importance=checks["importance"].head(0),
        client_profile=checks["client_profile"].head(0),
        performance=checks["performance"].head(0),
        estimates=checks["estimates"],
        characteristic=checks["characteristic"],
        trends=pd.DataFrame(),
        report=monitoring_params["report"],
        psi=monitoring_params["psi"],
    )
    for section in ("Performance on labelled", "importance stability", "Client"):
        assert section not in unmeasured


def test_check_act_alerts_raises_only_when_asked():
    document = {
        "alerts": [
            {
                "name": "feature_drift_X",
                "severity": "act",
                "source": "drift",
                "feature": "X",
                "statistic": "psi",
                "observed": 0.4,
                "rule": "psi >= 0.25",
            }
        ]
    }
    check_act_alerts(document, fail_on_act=False)
    check_act_alerts({"alerts": []}, fail_on_act=True)
    with pytest.raises(
        MonitoringActAlertError, match=r"X: psi = 0.4 breaks psi >= 0.25"
    ):
        check_act_alerts(document, fail_on_act=True)
