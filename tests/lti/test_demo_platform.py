"""The demo LMS (`flask --app board lti demo-platform` serves it): its page launches Board as the instructor or a
student through the whole login and launch."""

from __future__ import annotations

import requests


def test_demo_lms_page_launches_board(lms, lms_browser):
    page = requests.get(lms.url + "/demo", timeout=10)
    assert "Open Board as Ada Instructor (instructor)" in page.text
    start = requests.get(lms.url + "/demo/launch?as=instructor", allow_redirects=False, timeout=10)
    assert start.status_code == 302
    browser = lms_browser()
    launched = browser.open_from_lms(start.headers["Location"])
    assert launched.status_code == 303
    assert "Set up Board for History 101" in browser.follow(launched).get_data(as_text=True)
    assert requests.get(lms.url + "/demo/launch?as=nobody", allow_redirects=False, timeout=10).status_code == 404


def test_demo_platform_command_needs_board_running_elsewhere(app):
    result = app.test_cli_runner().invoke(args=["lti", "demo-platform", "--help"])
    assert result.exit_code == 0
    assert "--board-url" in result.output
