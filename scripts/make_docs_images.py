"""Regenerate the images under docs/images/ from a fresh run of the project.

    python scripts/make_docs_images.py
    python scripts/make_docs_images.py --n-applications 5000   # quicker, noisier

In a throw-away copy of the project (so data/ is untouched) it runs ``kedro run`` on
the embedded synthetic data, copies the report plots (the champion's feature
importance under a fixed name), runs ``kedro viz build``, serves the site on
127.0.0.1 and screenshots the pipeline graph in headless Chromium. A second
``kedro run`` gives the registry a champion and a challenger; ``mlflow server`` on
the copy's database is then screenshot too (its runs, and the registered versions).
Needs the system's Chromium and ChromeDriver (scripts/install_browser.sh).

    python scripts/make_docs_images.py --images mlflow   # the MLflow screenshots only
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from kedro.config import OmegaConfigLoader  # noqa: E402

from tests.deployment.mlflow_server import mlflow_server  # noqa: E402
from tests.project import kedro_run, make_project_copy  # noqa: E402
from tests.viz.browser import (  # noqa: E402  (shared with the Kedro-Viz test)
    find_browser,
    headless_chromium,
    kedro_viz_build,
    missing_browser_reason,
    open_viz,
    serve,
)

logger = logging.getLogger("make_docs_images")

# Report plots by catalog entry -> name under docs/images/.
REPORT_PLOTS = {
    "roc_curves_plot": "roc_curves.png",
    "precision_recall_curves_plot": "precision_recall_curves.png",
    "calibration_curves_plot": "calibration_curves.png",
    "lift_gain_plot": "lift_gain.png",
    "confusion_matrix_plot": "confusion_matrix.png",
}
CHAMPION_IMPORTANCE = ("{algorithm}.feature_importance_plot", "feature_importance.png")
SCREENSHOT = "kedro_viz_pipeline.png"
# The whole default pipeline is tall: a portrait window keeps its labels readable.
SCREENSHOT_SIZE = (1200, 1500)
VIZ_SETTINGS = {
    "theme": "light",
    "isPrettyName": True,
    "visible": {"sidebar": False, "miniMap": False},
    "pipeline": {"active": "__default__"},
}
MAX_IMAGE_BYTES = 300_000
MLFLOW_SCREENSHOTS = {
    # image -> (page of the MLflow UI, text it shows once drawn)
    "mlflow_runs.png": ("#/experiments/{experiment}/runs", "__default__"),
    "mlflow_registered_model.png": ("#/models/loan_default", "champion"),
}
MLFLOW_SCREENSHOT_SIZE = (1400, 700)


def catalog_filepath(project: Path, entry: str, **placeholders: str) -> Path:
    """Where the project's catalog writes ``entry`` (a name or a factory pattern)."""
    catalog = OmegaConfigLoader(
        str(project / "conf"), base_env="base", default_run_env="local"
    )["catalog"]
    if entry not in catalog:
        raise KeyError(f"conf/base/catalog*.yml has no entry {entry!r}")
    return project / catalog[entry]["filepath"].format(**placeholders)


def champion_algorithm(project: Path) -> str:
    import json  # noqa: PLC0415

    metadata = catalog_filepath(project, "champion_metadata")
    return json.loads(metadata.read_text())["algorithm"]


def shrink(path: Path) -> None:
    """Re-save as a 256-colour PNG when it exceeds the size budget."""
    if path.stat().st_size <= MAX_IMAGE_BYTES:
        return
    from PIL import Image  # noqa: PLC0415  (installed with matplotlib)

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise RuntimeError(
            f"{path} is {path.stat().st_size:,} bytes after shrinking; the budget is "
            f"{MAX_IMAGE_BYTES:,}"
        )


def copy_report_plots(project: Path, output: Path) -> list[Path]:
    algorithm = champion_algorithm(project)
    sources = {
        catalog_filepath(project, entry): name for entry, name in REPORT_PLOTS.items()
    }
    pattern, name = CHAMPION_IMPORTANCE
    sources[catalog_filepath(project, pattern, algorithm=algorithm)] = name
    written = []
    for source, name in sources.items():
        if not source.is_file():
            raise FileNotFoundError(f"kedro run did not write {source}")
        written.append(Path(shutil.copy(source, output / name)))
    logger.info("Champion: %s", algorithm)
    return written


def screenshot_pipeline(project: Path, output: Path) -> Path:
    browser = find_browser()
    if browser is None:
        raise RuntimeError(missing_browser_reason())
    site = kedro_viz_build(project)
    path = output / SCREENSHOT
    with (
        serve(site) as url,
        headless_chromium(browser, *SCREENSHOT_SIZE) as driver,
    ):
        open_viz(driver, url, VIZ_SETTINGS)
        if not driver.save_screenshot(str(path)):
            raise RuntimeError(f"Chromium could not write {path}")
    return path


def _experiment_id(url: str) -> str:
    import httpx  # noqa: PLC0415

    answer = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": "loan_default"},
        timeout=30,
    )
    return answer.json()["experiment"]["experiment_id"]


def screenshot_mlflow(project: Path, output: Path) -> list[Path]:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    browser = find_browser()
    if browser is None:
        raise RuntimeError(missing_browser_reason())
    written = []
    with (
        mlflow_server(project, project / "mlflow-server.log") as url,
        headless_chromium(browser, *MLFLOW_SCREENSHOT_SIZE) as driver,
    ):
        experiment = _experiment_id(url)
        for image, (page, text) in MLFLOW_SCREENSHOTS.items():
            driver.get(f"{url}/{page.format(experiment=experiment)}")
            WebDriverWait(driver, 60).until(
                lambda d, text=text: text in d.find_element(By.TAG_NAME, "body").text
            )
            # The assistant's side panel hides half the table.
            for button in driver.find_elements(
                By.CSS_SELECTOR, "button[aria-label=Close]"
            ):
                button.click()
            path = output / image
            if not driver.save_screenshot(str(path)):
                raise RuntimeError(f"Chromium could not write {path}")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-applications", type=int, default=20_000)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "images")
    parser.add_argument("--images", choices=["all", "mlflow"], default="all")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    arguments.output.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="docs-images-") as scratch:
        project = make_project_copy(Path(scratch))
        logger.info(
            "kedro run on %d synthetic applicants ...", arguments.n_applications
        )
        result = kedro_run(
            project, "--params", f"synthetic_n_applications={arguments.n_applications}"
        )
        if result.returncode != 0:
            raise RuntimeError(f"kedro run failed:\n{result.stderr[-4000:]}")
        written = []
        if arguments.images == "all":
            written += copy_report_plots(project, arguments.output)
            logger.info("kedro viz build and a screenshot in headless Chromium ...")
            written.append(screenshot_pipeline(project, arguments.output))
        logger.info("A second kedro run, then mlflow server in headless Chromium ...")
        result = kedro_run(
            project, "--params", f"synthetic_n_applications={arguments.n_applications}"
        )
        if result.returncode != 0:
            raise RuntimeError(f"kedro run failed:\n{result.stderr[-4000:]}")
        written += screenshot_mlflow(project, arguments.output)

    for path in written:
        shrink(path)
        logger.info(
            "%s  %6.0f KB", path.relative_to(PROJECT_ROOT), path.stat().st_size / 1e3
        )


if __name__ == "__main__":
    main()
