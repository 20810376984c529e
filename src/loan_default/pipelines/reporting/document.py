"""The model document node: every figure in it is read from this run's outputs
(the catalog datasets it takes), and its plots are the run's own PNG files, embedded
so that the page stands alone; only the champion's importance, whose file is named
after the algorithm, is drawn again."""

from __future__ import annotations

import pandas as pd

from loan_default.model_risk.document import SECTION_TITLES, Section, render_document
from loan_default.pipelines.reporting.narrative import (
    calibration_sentences,
    comparison_table,
    fairness_sentences,
    fairness_table,
    headline_table,
    pair_sentences,
    pairs_table,
    protected_feature_sentences,
    significance_sentences,
)
from loan_default.pipelines.reporting.plots import plot_feature_importance
from loan_default.schema import TARGET

MODEL = "model"


def _purpose(champion_metadata: dict, document_options: dict) -> Section:
    threshold = float(champion_metadata["operating_threshold"])
    return Section(
        SECTION_TITLES[0],
        paragraphs=[
            str(document_options["purpose"]).strip(),
            str(document_options["use"]).strip(),
            f"The deployed model is the {champion_metadata['algorithm']} champion, "
            f"version {champion_metadata['model_version']}: it returns a probability "
            f"of default, a decision (flagged as a likely default when the "
            f"probability is at least {threshold:.4f}), a risk grade (decile 1 to "
            "10, 10 the riskiest) and reason codes.",
        ],
    )


def _data(
    data_source: dict, model_input_train: pd.DataFrame, test_predictions: pd.DataFrame
) -> Section:
    section = Section(SECTION_TITLES[1])
    if data_source.get("kind") == "synthetic":
        section.paragraphs.append(
            "Synthetic applications from the project's generator (seed "
            f"{data_source['seed']}): {data_source['n_applications']:,} applications "
            f"and {data_source['n_previous_applications']:,} previous applications. "
            "The real files were absent, so the figures below describe the "
            "pipeline's behaviour, not real applicants."
        )
    else:
        section.paragraphs.append("Real data files (name, rows, SHA-256):")
        section.add_table("Source files", pd.DataFrame(data_source.get("files", [])))
    one_model = test_predictions.loc[
        test_predictions[MODEL] == test_predictions[MODEL].iloc[0]
    ]
    section.add_table(
        "Splits",
        pd.DataFrame(
            {
                "split": ["train", "test"],
                "applicants": [len(model_input_train), len(one_model)],
                "defaults": [
                    int(model_input_train[TARGET].sum()),
                    int(one_model[TARGET].sum()),
                ],
                "default rate": [
                    float(model_input_train[TARGET].mean()),
                    float(one_model[TARGET].mean()),
                ],
            }
        ),
    )
    section.paragraphs.append(
        "The champion is chosen on the validation split; the test split only reports."
    )
    return section


def _features(
    champion_metadata: dict, champion_importance: pd.DataFrame, importance_options: dict
) -> Section:
    top = int(importance_options["top_n"])
    method = (
        champion_importance["method"].iloc[0] if len(champion_importance) else "n/a"
    )
    section = Section(
        SECTION_TITLES[2],
        paragraphs=[
            f"The champion reads {champion_metadata['n_features']} model features "
            f"built by the one feature path (cleaning, previous-application "
            f"aggregates, applicant ratios, encoding fitted on train). The "
            f"{top} most important, by {method} importance:"
        ],
    )
    section.add_table(f"Top {top} features", champion_importance.head(top))
    section.add_plot(
        "Feature importance of the champion",
        plot_feature_importance(champion_importance, importance_options),
    )
    return section


def _methodology(
    champion_metadata: dict,
    validation_results: pd.DataFrame,
    algorithms: dict[str, dict],
    points_tables: dict[str, pd.DataFrame],
) -> Section:
    blocks = pd.DataFrame(
        [
            {
                "algorithm": name,
                "estimator": block.get("estimator"),
                "class imbalance": block.get("class_imbalance", "none"),
                "calibration": block.get("calibration", "prior_correction"),
                "search": (block.get("search") or {}).get("method", "none"),
            }
            for name, block in sorted(algorithms.items())
        ]
    )
    section = Section(
        SECTION_TITLES[3],
        paragraphs=[
            "Each algorithm block runs through the same modelling template: fit on "
            "train (any hyperparameter search cross-validates on train only), "
            "assemble the inference object, choose its operating threshold on the "
            "validation split, then score validation and test through that object.",
            f"Champion: {champion_metadata['algorithm']}, chosen "
            f"{champion_metadata['chosen_by']}",
        ],
    )
    section.add_table("Algorithms considered", blocks)
    section.add_table(
        "Validation split (chooses the champion)", validation_results, collapsed=True
    )
    for algorithm, table in sorted(points_tables.items()):
        if len(table):
            section.add_table(f"Scorecard points: {algorithm}", table, collapsed=True)
    return section


def _performance(
    *,
    evaluation_results: pd.DataFrame,
    champion_comparison: pd.DataFrame,
    model_comparisons: pd.DataFrame,
    plots: dict[str, bytes],
    uncertainty_options: dict,
) -> Section:
    level = float(uncertainty_options["level"])
    section = Section(
        SECTION_TITLES[4],
        paragraphs=[
            f"Test split, {level:.0%} intervals: DeLong for AUC, a percentile "
            f"bootstrap of {int(uncertainty_options['n_resamples'])} resamples of the "
            f"applicants (seed {uncertainty_options['seed']}) for the others.",
            *significance_sentences(champion_comparison, level),
            *pair_sentences(model_comparisons, level),
        ],
    )
    section.add_table("Headline figures", headline_table(evaluation_results))
    section.add_table(
        "DeLong's paired test, champion against each challenger",
        comparison_table(champion_comparison),
    )
    if len(model_comparisons):
        section.add_table(
            "Variants against their baseline", pairs_table(model_comparisons)
        )
    section.add_table("All test metrics", evaluation_results, collapsed=True)
    section.add_png("ROC curves", plots["roc_curves"])
    section.add_png("Precision-recall curves", plots["precision_recall_curves"])
    section.add_png("Lift and cumulative gain", plots["lift_gain"])
    section.add_png(
        "Confusion matrix of the champion at its operating threshold",
        plots["confusion_matrix"],
    )
    return section


def _calibration(
    calibration_summary: pd.DataFrame,
    calibration_by_grade: pd.DataFrame,
    calibration_curves: bytes,
    champion_metadata: dict,
    calibration_options: dict,
) -> Section:
    section = Section(
        SECTION_TITLES[5],
        paragraphs=calibration_sentences(
            calibration_summary,
            calibration_by_grade,
            champion_metadata["algorithm"],
            float(calibration_options["significance"]),
        ),
    )
    section.add_table(
        "Champion: observed against predicted default rate per risk grade",
        calibration_by_grade,
    )
    section.add_table(
        "Calibration intercept and slope, every model", calibration_summary
    )
    section.add_png(
        "Observed default rate against mean predicted probability, by decile",
        calibration_curves,
    )
    return section


def _stability(stability: pd.DataFrame, psi_options: dict, top: int) -> Section:
    score = stability.iloc[0]
    drifting = stability.iloc[1:]
    counts = drifting["verdict"].value_counts()
    section = Section(
        SECTION_TITLES[6],
        paragraphs=[
            f"PSI of the test split against the training split, over the training "
            f"deciles with missing values as their own bin (watch at "
            f"{psi_options['watch']:g}, act at {psi_options['act']:g}). The "
            f"champion's score: PSI {score['psi']:.4f} ({score['verdict']}). Features: "
            f"{int(counts.get('act', 0))} act, {int(counts.get('watch', 0))} watch, "
            f"{int(counts.get('ok', 0))} ok.",
        ],
    )
    section.add_table(
        f"Score and the {top} features with the largest PSI", stability.head(top + 1)
    )
    return section


def _fairness(
    segment_metrics: pd.DataFrame,
    segment_options: dict,
    champion_importance: pd.DataFrame,
) -> Section:
    section = Section(
        SECTION_TITLES[7],
        paragraphs=[
            "Measured with fairlearn's MetricFrame on the champion's test "
            "decisions. Approved: probability below the operating threshold. "
            "Adverse impact ratio: the group's approval rate over the most "
            "favoured group's. Equal-opportunity gap: the approval rate among "
            "applicants who repaid, minus the most favoured group's. Intervals: "
            "the bootstrap of the performance section.",
            *fairness_sentences(segment_metrics, segment_options["fairness"]),
            *protected_feature_sentences(
                list(champion_importance["feature"]), segment_options["fairness"]
            ),
        ],
    )
    section.add_table("Groups", fairness_table(segment_metrics))
    return section


def _limitations(
    *,
    data_source: dict,
    test_predictions: pd.DataFrame,
    champion_comparison: pd.DataFrame,
    segment_metrics: pd.DataFrame,
    calibration_by_grade: pd.DataFrame,
    stability: pd.DataFrame,
    document_options: dict,
) -> Section:
    first = test_predictions.loc[
        test_predictions[MODEL] == test_predictions[MODEL].iloc[0]
    ]
    defaults = int(first[TARGET].sum())
    paragraphs = []
    if data_source.get("kind") == "synthetic":
        paragraphs.append(
            "The data are synthetic: nothing here measures the model on real "
            "applicants."
        )
    paragraphs.append(
        f"The test split holds {defaults:,} defaults among {len(first):,} "
        "applicants; the intervals say how far each figure could move on another "
        "sample of that size."
    )
    not_significant = champion_comparison.loc[~champion_comparison["significant"]]
    if len(not_significant):
        paragraphs.append(
            "The champion's AUC is not distinguishable from that of "
            f"{', '.join(not_significant['challenger'])} on this test split."
        )
    flagged = segment_metrics.loc[segment_metrics["flagged"]]
    if len(flagged):
        paragraphs.append(
            f"{len(flagged)} group(s) fall outside the four-fifths screen (see "
            "Fairness); the screen is a first test, not a legal finding."
        )
    grades = calibration_by_grade.loc[calibration_by_grade["flagged"], "risk_grade"]
    if len(grades):
        paragraphs.append(
            "The predicted default rate is rejected in risk grade(s) "
            f"{', '.join(str(g) for g in grades)} (see Calibration)."
        )
    unstable = stability.loc[stability["verdict"] != "ok", "variable"]
    if len(unstable):
        paragraphs.append(
            f"{len(unstable)} variable(s) shift between train and test beyond the "
            "PSI watch level (see Stability)."
        )
    paragraphs += [str(text).strip() for text in document_options["limitations"]]
    return Section(SECTION_TITLES[8], paragraphs=paragraphs)


def _monitoring_plan(monitoring_options: dict) -> Section:
    psi = monitoring_options["psi"]
    nulls = monitoring_options["null_share_jump"]
    estimates = monitoring_options["estimated_performance"]
    return Section(
        SECTION_TITLES[9],
        paragraphs=[
            "Every scored batch is compared with the training reference by "
            "`kedro run --pipelines monitoring`, which writes an HTML report, a "
            "Prometheus exposition and the alerts table:",
            f"population stability of the score and of each feature: watch at PSI "
            f"{psi['watch']:g}, act at {psi['act']:g} ({psi['bins']} reference bins "
            "plus a missing bin);",
            f"missing values: watch when a feature's share of missing values rises "
            f"by {nulls['watch']:g}, act at {nulls['act']:g};",
            f"performance before outcomes arrive: AUC, default rate and decision "
            f"rates expected from the calibrated probabilities with "
            f"{estimates['confidence']:.0%} intervals ({estimates['replicates']} "
            f"replicates); act when the AUC falls more than {estimates['auc_margin']:g} "
            "below the reference or a realised figure leaves its interval;",
            "act alerts "
            + (
                "fail the run."
                if monitoring_options["fail_on_act"]
                else "are reported and the run carries on (monitoring.fail_on_act)."
            ),
        ],
    )


def write_model_document(
    *,
    data_source: dict,
    champion_metadata: dict,
    evaluation_results: pd.DataFrame,
    validation_results: pd.DataFrame,
    champion_comparison: pd.DataFrame,
    model_comparisons: pd.DataFrame,
    calibration_by_grade: pd.DataFrame,
    calibration_summary: pd.DataFrame,
    segment_metrics: pd.DataFrame,
    stability: pd.DataFrame,
    champion_importance: pd.DataFrame,
    test_predictions: pd.DataFrame,
    model_input_train: pd.DataFrame,
    roc_curves: bytes,
    precision_recall_curves: bytes,
    lift_gain: bytes,
    confusion_matrix: bytes,
    calibration_curves: bytes,
    algorithms: dict[str, dict],
    uncertainty_options: dict,
    segment_options: dict,
    calibration_options: dict,
    importance_options: dict,
    monitoring_options: dict,
    document_options: dict,
    points_tables: dict[str, pd.DataFrame],
) -> str:
    """model_document.html: the model document, with the headings of
    ``SECTION_TITLES``, every figure from this run's outputs."""
    top = int(document_options["top_stability_features"])
    sections = [
        _purpose(champion_metadata, document_options),
        _data(data_source, model_input_train, test_predictions),
        _features(champion_metadata, champion_importance, importance_options),
        _methodology(champion_metadata, validation_results, algorithms, points_tables),
        _performance(
            evaluation_results=evaluation_results,
            champion_comparison=champion_comparison,
            model_comparisons=model_comparisons,
            plots={
                "roc_curves": roc_curves,
                "precision_recall_curves": precision_recall_curves,
                "lift_gain": lift_gain,
                "confusion_matrix": confusion_matrix,
            },
            uncertainty_options=uncertainty_options,
        ),
        _calibration(
            calibration_summary,
            calibration_by_grade,
            calibration_curves,
            champion_metadata,
            calibration_options,
        ),
        _stability(stability, monitoring_options["psi"], top),
        _fairness(segment_metrics, segment_options, champion_importance),
        _limitations(
            data_source=data_source,
            test_predictions=test_predictions,
            champion_comparison=champion_comparison,
            segment_metrics=segment_metrics,
            calibration_by_grade=calibration_by_grade,
            stability=stability,
            document_options=document_options,
        ),
        _monitoring_plan(monitoring_options),
    ]
    summary = [
        ("Model", f"{champion_metadata['algorithm']} champion"),
        ("Model version", str(champion_metadata["model_version"])),
        ("Package version", str(champion_metadata["package_version"])),
        ("Built", str(champion_metadata["created_at"])),
    ]
    return render_document(str(document_options["title"]), summary, sections)
