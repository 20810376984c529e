"""`kedro run --env spark` end to end in local mode: the Spark datasets are staged
and committed like every output, and a failed run changes nothing."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from loan_default.synthetic_parquet import write_parquet_chunks
from tests.project import PROJECT_ROOT, make_project_copy

N_APPLICATIONS = 1_200


@pytest.fixture
def project(tmp_path, monkeypatch, spark):
    project = make_project_copy(tmp_path)
    shutil.copytree(PROJECT_ROOT / "conf" / "spark", project / "conf" / "spark")
    # Two chunks: the ids of the second are moved past the first's.
    write_parquet_chunks(N_APPLICATIONS, 4, project / "data" / "01_raw", 700)
    monkeypatch.setenv("LOAN_DEFAULT_TRACKING", "off")
    bootstrap_project(project)
    return project


def _run(project, **parameters) -> None:
    with KedroSession.create(
        project_path=project, env="spark", runtime_params=parameters or None
    ) as session:
        session.run(pipeline_names=["data_engineering"])


def test_a_spark_run_commits_its_outputs_and_a_failed_one_changes_nothing(project):
    _run(project, **{"spark.applications_per_group": 400})
    data = project / "data"
    features = pd.read_parquet(data / "04_feature" / "applicant_features.parquet")
    assert features["SK_ID_CURR"].is_unique
    assert len(features) == N_APPLICATIONS
    train = data / "05_model_input" / "train.parquet"
    assert (train / "_SUCCESS").is_file()
    assert len(pd.read_parquet(train)) == round(0.7 * N_APPLICATIONS)
    assert (data / "06_models" / "feature_transformer.json").is_dir()
    assert not list((data / ".staging").iterdir())

    before = sorted(path.name for path in train.iterdir())
    broken = project / "data" / "01_raw" / "application.parquet"
    frame = pd.read_parquet(broken)
    frame.loc[3, "EXT_SOURCE_2"] = 7.0
    shutil.rmtree(broken)
    broken.mkdir()
    frame.to_parquet(broken / "part-00000.parquet", index=False)
    with pytest.raises(Exception, match="EXT_SOURCE_2: expected a value <="):
        _run(project)
    # The failed run's staged files are gone; the committed ones are untouched.
    assert sorted(path.name for path in train.iterdir()) == before
    assert not list((project / "data" / ".staging").iterdir())
