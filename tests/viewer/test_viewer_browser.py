"""The viewer page in a real headless Chromium (Debian's `chromium` + `chromium-driver`, Selenium)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from typer.testing import CliRunner

from tests.viewer.viewer_fixtures import build_run, many_records
from toolforge.cli import app
from toolforge.core.store import Store
from toolforge.viewer import render_page
from toolforge.viewer.rows import view_data_of_records

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail(
            "the viewer tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
    ):
        options.add_argument(arg)
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()


def _wait_for(browser: webdriver.Chrome, css: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not browser.find_elements(By.CSS_SELECTOR, css):
        assert time.monotonic() < deadline, f"{css} never appeared"
        time.sleep(0.05)


def test_rejected_attempt_shows_what_the_store_holds(
    browser: webdriver.Chrome, sqlite_store: Store, tmp_path: Path
) -> None:
    made = build_run(sqlite_store)
    page = tmp_path / "view.html"
    result = CliRunner().invoke(app, ["view", str(tmp_path), "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "4 trajectories" in result.output

    browser.get(page.as_uri())
    _wait_for(browser, "#spacer .row")
    Select(browser.find_element(By.ID, "f-status")).select_by_value("rejected")
    rejected = [v for v in made["verdicts"] if not v.accepted]
    assert browser.find_element(By.ID, "count").text == f"{len(rejected)} of 4 trajectories"
    shown = [row.get_attribute("data-id") for row in browser.find_elements(By.CSS_SELECTOR, "#spacer .row")]
    assert shown == [v.trajectory_id for v in rejected]

    browser.find_element(By.CSS_SELECTOR, f'.row[data-id="{shown[0]}"]').click()
    _wait_for(browser, "#attempts .attempt")
    traj = next(t for t in made["trajectories"] if t.id == shown[0])
    task = next(t for t in made["tasks"] if t.id == traj.task_id)
    verdict = rejected[0]
    assert browser.find_element(By.ID, "task-goal").text == task.user_goal.description
    assert task.rubric.success_criteria[0] in browser.find_element(By.ID, "rubric-criteria").text
    assert "book_room" in browser.find_element(By.ID, "blueprint").text

    columns = browser.find_elements(By.CSS_SELECTOR, "#attempts .attempt")
    attempts = sorted((t for t in made["trajectories"] if t.task_id == task.id), key=lambda t: t.attempt)
    assert [c.get_attribute("data-id") for c in columns] == [
        traj.id,
        *(t.id for t in attempts if t.id != traj.id),
    ]
    current = columns[0]
    for check in verdict.checks:
        row = current.find_element(By.CSS_SELECTOR, f'tr[data-check="{check.check}"]')
        assert ("pass" if check.passed else "fail") in row.text
        assert row.find_element(By.CLASS_NAME, "reason").text == check.reason
    assert len(current.find_elements(By.CSS_SELECTOR, ".msg")) == len(traj.messages)
    calls = current.find_elements(By.CSS_SELECTOR, ".call")
    assert [c.text.split()[1] for c in calls] == [call.name for _, call in traj.tool_calls]
    shot = tmp_path / "viewer-rejected.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ten_thousand_trajectories_filter_in_under_a_second(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    page = tmp_path / "big.html"
    page.write_text(render_page(view_data_of_records(many_records(10_000), "bench")), encoding="utf-8")
    browser.get(page.as_uri())
    _wait_for(browser, "#spacer .row")
    elapsed_ms = browser.execute_script(
        """
        const t0 = performance.now();
        const status = document.getElementById('f-status');
        status.value = 'rejected';
        status.dispatchEvent(new Event('change'));
        document.getElementById('spacer').getBoundingClientRect();  // forces layout
        return performance.now() - t0;
        """
    )
    assert browser.find_element(By.ID, "count").text == "3334 of 10000 trajectories"
    assert elapsed_ms < 1000, f"filtering 10,000 trajectories took {elapsed_ms:.0f} ms"
    # Lazy rendering: only the rows in view are in the document.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#spacer .row")) < 60
    browser.find_element(By.ID, "f-reason").send_keys("id not seen")
    assert browser.find_element(By.ID, "count").text == "3334 of 10000 trajectories"
