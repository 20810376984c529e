"""Kedro-Viz's static site opened in a real headless Chromium.

Shared by the Kedro-Viz test and ``scripts/make_docs_images.py``. Uses the system's
Chromium and ChromeDriver (Debian: ``apt-get install chromium chromium-driver``); it
never downloads a browser.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.project import kedro_command

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)
# Offline and quiet: no first-run screens, updates, sync or background requests.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
PAGE_TIMEOUT_SECONDS = 60
GRAPH_NODES = "g.pipeline-node[data-node-type]"
PIPELINE_SELECTOR = "[data-test='kedro-pipeline-selector']"
FEATURE_HINTS_CLOSE = ".feature-hints__close"
SETTINGS_KEY = "KedroViz"


@dataclass(frozen=True)
class Browser:
    chromium: Path
    chromedriver: Path


def find_browser() -> Browser | None:
    """The system's Chromium and its driver, or None when either is missing."""
    chromium = _first_on_path(BROWSER_NAMES)
    chromedriver = _first_on_path(DRIVER_NAMES)
    if chromium is None or chromedriver is None:
        return None
    return Browser(chromium, chromedriver)


def missing_browser_reason() -> str:
    return (
        f"no headless browser: needs one of {list(BROWSER_NAMES)} and "
        f"{list(DRIVER_NAMES)} on PATH (Debian/Ubuntu: "
        "apt-get install -y chromium chromium-driver, or scripts/install_browser.sh)"
    )


def _first_on_path(names: tuple[str, ...]) -> Path | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def kedro_viz_build(project: Path) -> Path:
    """Run ``kedro viz build`` in ``project``; return the static site's folder."""
    result = kedro_command(project, "viz", "build")
    site = project / "build"
    if result.returncode != 0 or not (site / "index.html").is_file():
        raise RuntimeError(
            f"kedro viz build in {project} failed (exit {result.returncode}, "
            f"{site / 'index.html'} present: {(site / 'index.html').is_file()}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free port of 127.0.0.1; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def headless_chromium(browser: Browser, width: int, height: int) -> Iterator[object]:
    """A Selenium driver on a fresh, throw-away Chromium profile."""
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    options.binary_location = str(browser.chromium)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # Explicit paths and offline mode: Selenium Manager must not fetch anything.
        os.environ.setdefault("SE_OFFLINE", "true")
        driver = webdriver.Chrome(
            options=options, service=Service(str(browser.chromedriver))
        )
        try:
            driver.set_page_load_timeout(PAGE_TIMEOUT_SECONDS)
            yield driver
        finally:
            driver.quit()


def open_viz(driver: object, url: str, settings: dict | None = None) -> None:
    """Load Kedro-Viz, dismiss its feature tour, and wait for the graph.

    ``settings`` are merged into Kedro-Viz's own saved settings (its localStorage
    entry, e.g. ``{"theme": "light"}``) and the page is reloaded to apply them.
    """
    driver.get(url)
    _wait_for_graph(driver)
    hints = driver.find_elements("css selector", FEATURE_HINTS_CLOSE)
    if hints:
        hints[0].click()
    if settings:
        saved = json.loads(
            driver.execute_script(
                f"return window.localStorage.getItem('{SETTINGS_KEY}')"
            )
            or "{}"
        )
        for key, value in settings.items():
            if isinstance(value, dict) and isinstance(saved.get(key), dict):
                saved[key] = {**saved[key], **value}
            else:
                saved[key] = value
        driver.execute_script(
            f"window.localStorage.setItem('{SETTINGS_KEY}', arguments[0])",
            json.dumps(saved),
        )
        driver.refresh()
        _wait_for_graph(driver)


def _wait_for_graph(driver: object) -> None:
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    WebDriverWait(driver, PAGE_TIMEOUT_SECONDS).until(
        lambda page: page.find_elements("css selector", GRAPH_NODES)
    )


def listed_pipelines(driver: object) -> list[str]:
    """The names the pipeline selector offers."""
    options = driver.find_elements(
        "css selector", f"{PIPELINE_SELECTOR} .menu-option__content"
    )
    return [option.get_attribute("title") for option in options]


def select_pipeline(driver: object, name: str) -> None:
    """Pick ``name`` in the pipeline selector and wait until it is the active one."""
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    driver.find_element("css selector", f"{PIPELINE_SELECTOR} .dropdown__label").click()
    option = f"{PIPELINE_SELECTOR} .menu-option__content[title='{name}']"
    WebDriverWait(driver, PAGE_TIMEOUT_SECONDS).until(
        lambda page: page.find_element("css selector", option).is_displayed()
    )
    driver.find_element("css selector", option).click()
    WebDriverWait(driver, PAGE_TIMEOUT_SECONDS).until(
        lambda page: (
            page.find_element(
                "css selector", f"{PIPELINE_SELECTOR} .dropdown__label"
            ).text
            == name
        )
    )
    _wait_for_graph(driver)


def drawn_nodes(driver: object, node_type: str) -> dict[str, str]:
    """Full name -> visible label of the graph's nodes of one type: ``task``,
    ``data``, ``parameters`` or ``modularPipeline`` (a collapsed namespace)."""
    # One script call reads them all: the graph re-renders while it settles, and
    # element handles kept across calls would go stale.
    pairs = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(node => [node.getAttribute('data-node-fullname'),"
        " node.textContent.trim()]);",
        f"g.pipeline-node[data-node-type='{node_type}']",
    )
    return dict(pairs)


def drawing(driver: object) -> set[str]:
    """Names of the drawn nodes and collapsed namespace boxes."""
    return set(drawn_nodes(driver, "task")) | set(
        drawn_nodes(driver, "modularPipeline")
    )


def settled_drawing(
    driver: object, expected: set[str], timeout: float = 30
) -> set[str]:
    """The drawing once it equals ``expected``, or as it is after ``timeout``
    seconds: the graph animates for a moment after a pipeline is selected."""
    from selenium.common.exceptions import TimeoutException  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    try:
        WebDriverWait(driver, timeout).until(lambda page: drawing(page) == expected)
    except TimeoutException:
        pass  # the caller compares and reports the difference
    return drawing(driver)
