"""Kedro-Viz's static build, served locally and opened in a real headless Chromium:
every default pipeline is listed and drawn, with one box per algorithm."""

from __future__ import annotations

import struct

import pytest
from kedro.pipeline import Pipeline

from loan_default.pipeline_registry import DEFAULT_PIPELINES, register_pipelines
from loan_default.pipelines.modelling.algorithms import PROMOTION_NAMESPACE
from tests.project import make_project_copy, project_parameters
from tests.viz.browser import (
    drawn_nodes,
    find_browser,
    headless_chromium,
    kedro_viz_build,
    listed_pipelines,
    missing_browser_reason,
    open_viz,
    select_pipeline,
    serve,
    settled_drawing,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT = 1400, 1000


def algorithm_names() -> list[str]:
    """The algorithm blocks of the configuration the site is built from."""
    return list(project_parameters()["algorithms"])


def registered(name: str) -> Pipeline:
    return register_pipelines(algorithms=algorithm_names())[name]


def expected_drawing(pipeline: Pipeline) -> set[str]:
    """What Kedro-Viz draws by default: plain nodes by name, and each top-level
    namespace as one collapsed box."""
    return {
        node.namespace.split(".")[0] if node.namespace else node.name
        for node in pipeline.nodes
    }


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def browser():
    found = find_browser()
    if found is None:
        pytest.skip(missing_browser_reason())
    pytest.importorskip("selenium", reason="selenium is not installed (dev extra)")
    return found


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    return kedro_viz_build(make_project_copy(tmp_path_factory.mktemp("project")))


@pytest.mark.slow
def test_kedro_viz_draws_every_pipeline_and_algorithm(browser, site, tmp_path):
    algorithms = set(algorithm_names())
    assert len(algorithms) >= 3
    with serve(site) as url, headless_chromium(browser, WIDTH, HEIGHT) as driver:
        open_viz(driver, url)

        assert set(DEFAULT_PIPELINES) <= set(listed_pipelines(driver))
        everything = expected_drawing(registered("__default__"))
        assert algorithms <= everything
        assert settled_drawing(driver, everything) == everything
        boxes = algorithms | {PROMOTION_NAMESPACE}
        assert set(drawn_nodes(driver, "modularPipeline")) == boxes

        for name in DEFAULT_PIPELINES:
            select_pipeline(driver, name)
            expected = expected_drawing(registered(name))
            assert settled_drawing(driver, expected) == expected, name

        select_pipeline(driver, "modelling")
        screenshot = tmp_path / "kedro_viz_modelling.png"
        assert driver.save_screenshot(str(screenshot))
    width, height = png_size(screenshot)
    assert (width, height) >= (WIDTH // 2, HEIGHT // 2)


def test_browser_lookup_reports_a_missing_browser(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_browser() is None
    assert "chromium" in missing_browser_reason()


@pytest.mark.slow
def test_viz_build_outside_a_project_fails_with_the_folder_named(tmp_path):
    with pytest.raises(RuntimeError, match="kedro viz build in .* failed") as error:
        kedro_viz_build(tmp_path)
    assert str(tmp_path) in str(error.value)
