"""The registry runs data_engineering and scoring on Spark when the run's parameters
say `engine: spark`; the other pipelines read driver copies of the Spark tables."""

from __future__ import annotations

import pytest

from loan_default import pipeline_registry
from loan_default.errors import ProjectError
from loan_default.pipeline_registry import build_pipelines, use_run_parameters

pytest.importorskip("pyspark", reason="the Spark pipelines need PySpark (pip extra)")


def test_the_spark_engine_replaces_data_engineering_and_scoring():
    default = build_pipelines(["decision_tree"])
    spark = build_pipelines(["decision_tree"], "spark")
    assert "encode_parts" in {node.name for node in spark["data_engineering"].nodes}
    assert "encode_parts" not in {
        node.name for node in default["data_engineering"].nodes
    }
    assert spark["scoring"].inputs() >= {"new_application_batch", "production_model"}
    # Modelling reads the collected model inputs and the holdout's history only.
    modelling = spark["modelling"]
    assert "model_input_train_on_driver" in modelling.all_inputs()
    assert "previous_application_validated" in modelling.inputs()
    assert "previous_application_holdout" in modelling.all_inputs()
    assert {node.name for node in modelling.nodes} >= {
        node.name for node in default["modelling"].nodes
    }


def test_the_default_run_sums_the_pipelines_on_spark():
    spark = build_pipelines(["decision_tree", "scorecard"], "spark")
    names = ("data_engineering", "modelling", "reporting", "scoring", "monitoring")
    whole = sum((spark[name] for name in names), spark["data_engineering"])
    assert len({node.name for node in whole.nodes}) == len(whole.nodes)


def test_an_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setattr(pipeline_registry, "_run_engine", "pandas")
    with pytest.raises(ProjectError, match="parameters engine: expected one of"):
        use_run_parameters({"engine": "dask", "algorithms": {"tree": {}}})
