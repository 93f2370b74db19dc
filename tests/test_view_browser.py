"""``guildlike view`` in a real headless Chromium, driven by Selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs
them when it can) and ``selenium`` (the ``test`` extra); skipped, saying
which is missing, without them. Each test saves a screenshot of its page
under its pytest temporary folder (the path is printed) so that a person
can look at the pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from view_support import get_json, make_home, serving

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the test extra is not installed
    webdriver = None

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "/usr/lib/chromium/chromedriver")


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    if webdriver is None:
        pytest.skip("selenium is not installed (pip install 'guildlike[test]')")
    browser, chromedriver = _find(BROWSERS), _find(DRIVERS)
    if browser is None or chromedriver is None:
        pytest.skip("no Chromium and chromedriver found (apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        opts.add_argument(arg)
    try:
        drv = webdriver.Chrome(service=Service(chromedriver), options=opts)
    except WebDriverException as e:
        pytest.skip(f"Chromium cannot start: {str(e).splitlines()[0]}")
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("view-browser")
    return root / "home", make_home(root)


@pytest.fixture(scope="module")
def base(home: tuple[Path, dict[str, list[str]]]) -> Iterator[str]:
    with serving(home[0]) as url:
        yield url


def wait(drv: Any, cond: Any, timeout: float = 30) -> Any:
    return WebDriverWait(drv, timeout, poll_frequency=0.1).until(cond)


def shot(drv: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    drv.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def rows(drv: Any) -> list[Any]:
    return list(drv.find_elements(By.CSS_SELECTOR, "#runs tbody tr"))


def test_list_shows_the_runs(driver: Any, base: str, tmp_path: Path) -> None:
    driver.get(f"{base}/#/runs")
    wait(driver, lambda d: len(rows(d)) == 13)
    ops = [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows(driver)]
    assert ops[0] == "train" and ops.count("fit") == 5
    assert "1–13 of 13 runs" in driver.find_element(By.ID, "count").text
    assert shot(driver, tmp_path, "runs").stat().st_size > 0


def test_a_filter_narrows_the_list(driver: Any, base: str, tmp_path: Path) -> None:
    driver.get(f"{base}/#/runs")
    wait(driver, lambda d: len(rows(d)) == 13)
    driver.find_element(By.CSS_SELECTOR, "#filters input[name=op]").send_keys("prep")
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait(driver, lambda d: len(rows(d)) == 1)
    assert rows(driver)[0].find_elements(By.TAG_NAME, "td")[2].text == "prep"
    driver.get(f"{base}/#/runs?status=error")
    wait(driver, lambda d: len(rows(d)) == 2)
    assert {r.get_attribute("data-status") for r in rows(driver)} == {"error"}
    shot(driver, tmp_path, "runs-filtered")


def test_pipeline_steps_statuses_and_plan(driver: Any, base: str, home: Any, tmp_path: Path) -> None:
    ids = home[1]
    driver.get(f"{base}/#/pipeline/{ids['steps-restart'][0]}")
    steps = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#strip .step"))
    got = [tuple(s.get_attribute(f"data-{a}") for a in ("step", "status", "action")) for s in steps]
    assert got == [("fail", "completed", "reuse"), ("fail_2", "error", "rerun")]
    assert "failed (exit 1)" in steps[1].text and "completed, flags unchanged" in steps[0].text
    link = steps[1].find_element(By.TAG_NAME, "a").get_attribute("href")
    assert link.endswith(f"#/run/{ids['fail'][1]}")
    shot(driver, tmp_path, "pipeline")


def test_plots_have_one_series_per_run(driver: Any, base: str, home: Any, tmp_path: Path) -> None:
    fits = home[1]["fit"]
    driver.get(f"{base}/#/compare?run={','.join(fits)}")
    chart = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#overlay[data-series]"))
    assert chart.get_attribute("data-series") == str(len(fits))
    assert chart.find_elements(By.TAG_NAME, "canvas")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#parallel polyline")) == len(fits)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#scatter circle")) == len(fits)
    shot(driver, tmp_path, "compare")
    driver.find_element(By.ID, "skip-unchanged").click()
    wait(driver, lambda d: "skip_unchanged=1" in d.current_url and d.find_elements(By.CSS_SELECTOR, "#compare th"))
    heads = [th.text.lower() for th in driver.find_elements(By.CSS_SELECTOR, "#compare th")]
    assert "lr" in heads and "operation" not in heads
    driver.get(f"{base}/#/run/{fits[1]}")
    one = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#run-chart[data-series]"))
    assert one.get_attribute("data-series") == "1"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#scalars svg.spark")) == 2
    shot(driver, tmp_path, "run")


SLOW = """\
import time
for i in range(40):
    print(f"line {i}", flush=True)
    print(f"loss: {1 / (i + 1)}", flush=True)
    time.sleep(0.25)
"""


@pytest.fixture
def live_run(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    (project / "slow.py").write_text(SLOW)
    (project / "guild.yml").write_text("slow:\n  main: slow\n")
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "guildlike", "run", "slow", "-y"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            names = [n for n in os.listdir(home / "runs") if not n.startswith(".")] if (home / "runs").is_dir() else []
            if names and (home / "runs" / names[0] / ".guild" / "output").exists():
                yield home, names[0]
                break
            time.sleep(0.1)
        else:
            pytest.fail("the live run did not start")
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_live_runs_output_grows(driver: Any, live_run: tuple[Path, str], tmp_path: Path) -> None:
    home, rid = live_run
    with serving(home) as url:
        assert get_json(f"{url}/api/runs/{rid}")["status"] == "running"
        driver.get(f"{url}/#/runs")
        wait(driver, lambda d: [r.get_attribute("data-status") for r in rows(d)] == ["running"])
        shot(driver, tmp_path, "runs-live")
        driver.get(f"{url}/#/run/{rid}")
        out = wait(driver, lambda d: d.find_element(By.ID, "output"))
        wait(driver, lambda d: "line 1" in out.text)
        first = out.text.count("\n")
        wait(driver, lambda d: out.text.count("\n") >= first + 4)
        assert "following" in driver.find_element(By.CSS_SELECTOR, "#output").find_element(
            By.XPATH, "..").find_element(By.TAG_NAME, "h2").text
        driver.execute_script("arguments[0].scrollIntoView()", out)
        shot(driver, tmp_path, "run-live")


def test_diff_page(driver: Any, base: str, home: Any, tmp_path: Path) -> None:
    a, b = home[1]["fit"][:2]
    driver.get(f"{base}/#/diff?a={a}&b={b}")
    flags = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-section=flags]"))
    assert "lr: 0.1 -> 0.5" in flags.text and "epochs: 2 -> 3" in flags.text
    shot(driver, tmp_path, "diff")


def test_an_export_opens_without_a_server(driver: Any, home: Any, tmp_path: Path) -> None:
    ids = home[1]
    target = tmp_path / "report.html"
    env = dict(os.environ, GUILDLIKE_HOME=str(home[0]))
    chosen = [ids["fit"][1], ids["steps-restart"][0]]
    subprocess.run([sys.executable, "-m", "guildlike", "view", "--export", str(target), *chosen], env=env, check=True,
                   capture_output=True)
    driver.get(target.as_uri())
    wait(driver, lambda d: len(rows(d)) == 2)
    driver.get(f"{target.as_uri()}#/run/{ids['fit'][1]}")
    flags = wait(driver, lambda d: d.find_element(By.ID, "flags"))
    assert "0.5" in flags.text
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#run-chart[data-series]"))
    driver.get(f"{target.as_uri()}#/pipeline/{ids['steps-restart'][0]}")
    steps = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#strip .step"))
    assert [s.get_attribute("data-action") for s in steps] == ["reuse", "rerun"]
    shot(driver, tmp_path, "export-pipeline")
    driver.get(f"{target.as_uri()}#/pipeline/{ids['steps-restart'][0]}?needed=0")
    wait(driver, lambda d: [s.get_attribute("data-action") for s in d.find_elements(By.CSS_SELECTOR, "#strip .step")]
         == ["rerun", "rerun"])
