"""Walk the class of 30 (scripts/class_of_30.py) in Debian's Chromium: screenshots and the weekly-loop figures.

Usage: python scripts/weekly_loop.py http://127.0.0.1:5000 OUTDIR
(the server must serve a database built by scripts/class_of_30.py; it posts one response, as s30, on each run of a
fresh database). It prints one line per figure: px to "Write a response", header height, the course home's current
week, the 36-comment thread's height expanded and collapsed, the responses view's height, and My work's height.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE, OUT = sys.argv[1].rstrip("/"), Path(sys.argv[2])
SIZES = {"desktop": (1280, 900), "phone": (375, 740)}
COURSE = f"{BASE}/c/class-30/"
WRITE = re.compile(r"Write (a|your) response", re.IGNORECASE)


def login(browser, email: str, width: int, height: int, dark: bool = False):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme="dark" if dark else "light",
        timezone_id="America/New_York",  # the browser reports it once (the person's zone); times read in it
    )
    page = context.new_page()
    page.goto(f"{BASE}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "demo-password")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    return page


def height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def top_of(page, locator) -> int | None:
    if locator.count() == 0:
        return None
    box = locator.first.bounding_box()
    return None if box is None else round(box["y"] + page.evaluate("window.scrollY"))


def shot(page, name: str, full: bool = True) -> None:
    page.screenshot(path=OUT / f"{name}.png", full_page=full)


def open_reading(page, title: str = "Week 2") -> None:
    page.goto(COURSE)
    page.get_by_role("link", name=re.compile(title)).first.click()
    page.wait_for_load_state()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    figures = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for size, (w, h) in SIZES.items():
            page = login(browser, "s29@example.edu", w, h)
            page.goto(COURSE)
            header = page.locator("body > header").first
            figures.append((size, "header height px (course home)", header.bounding_box()["height"]))
            shot(page, f"{size}-home")
            figures.append((size, "home: y of 'Week 2'", top_of(page, page.get_by_text("Week 2", exact=False))))
            open_reading(page)
            shot(page, f"{size}-reading-before")
            figures.append((size, "reading: y of Write a response", top_of(page, page.get_by_role("link", name=WRITE))))
            page.context.close()

            page = login(browser, "s27@example.edu", w, h)
            open_reading(page)
            shot(page, f"{size}-reading-short-response")
            page.context.close()

            page = login(browser, "s01@example.edu", w, h)
            page.goto(COURSE)
            page.get_by_role("link", name="What Ginzburg kept (1)").first.click()
            page.wait_for_load_state()
            figures.append((size, "36-comment thread: page height expanded", height(page)))
            shot(page, f"{size}-thread-expanded")
            # Close every branch, innermost first (a closed branch hides the summaries inside it).
            page.evaluate("document.querySelectorAll('#comments details[open]').forEach(d => d.open = false)")
            figures.append((size, "36-comment thread: page height collapsed", height(page)))
            shot(page, f"{size}-thread-collapsed")
            page.goto(f"{BASE}/c/class-30/my-work")
            figures.append((size, "My work height", height(page)))
            shot(page, f"{size}-mywork")
            page.context.close()

            page = login(browser, "teacher@example.edu", w, h)
            open_reading(page)
            reading_id = page.url.rstrip("/").rsplit("/", 1)[1]
            page.goto(f"{COURSE}desk/readings/{reading_id}/")
            figures.append((size, "responses view height", height(page)))
            shot(page, f"{size}-responses")
            page.context.close()

            page = login(browser, "s05@example.edu", w, h, dark=True)
            page.goto(COURSE)
            shot(page, f"{size}-home-dark")
            page.context.close()

        for size, what, value in figures:
            print(f"{size:8} {what}: {value}", flush=True)
        # s30 writes a response through the composer (desktop), then sees what comes next.
        page = login(browser, "s30@example.edu", 1280, 900)
        open_reading(page)
        page.goto(f"{COURSE}readings/{page.url.rstrip('/').rsplit('/', 1)[1]}/respond")
        page.fill("input[name=title]", "What Ginzburg kept (30)")
        page.fill("textarea[name=body]", " ".join(["word"] * 120))
        page.get_by_role("button", name=re.compile("Publish", re.IGNORECASE)).first.click()
        page.wait_for_load_state()
        shot(page, "desktop-after-publishing", full=False)
        print("after publishing:", page.url)
        browser.close()


if __name__ == "__main__":
    main()
