"""Screenshot Board's main pages at desktop and phone widths with Debian's Chromium (for looking, not testing).

Usage: python scripts/screenshots.py http://127.0.0.1:5000 OUTDIR   (the demo course must be seeded)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE, OUT = sys.argv[1].rstrip("/"), Path(sys.argv[2])
SIZES = {"desktop": (1280, 900), "phone": (375, 740)}
PAGES = {
    "student": [("home", "/c/hist-3644/"), ("response", None), ("reading", None), ("person", None)],
    "instructor": [
        ("home", "/c/hist-3644/"),
        ("roster", "/c/hist-3644/roster"),
        ("response", None),
        ("queue", "/c/hist-3644/moderation"),
        ("awards", "/c/hist-3644/awards"),
        ("award-types", "/c/hist-3644/awards/types"),
        ("audit", "/c/hist-3644/audit"),
        ("settings", "/c/hist-3644/settings"),
    ],
}


def login(page, email):
    page.goto(f"{BASE}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for size, (w, h) in SIZES.items():
            for who, pages in PAGES.items():
                page = browser.new_page(viewport={"width": w, "height": h})
                page.goto(f"{BASE}/login")
                page.screenshot(path=OUT / f"{size}-login.png")
                login(page, "instructor@example.edu" if who == "instructor" else "student3@example.edu")
                for name, path in pages:
                    if path is None:
                        page.goto(f"{BASE}/c/hist-3644/")
                        link = {
                            "response": "text=Out With the Old",
                            "reading": "text=Between Hitler",
                            "person": ".activity a.author",
                        }[name]
                        page.locator(link).first.click()
                    else:
                        page.goto(BASE + path)
                    page.screenshot(path=OUT / f"{size}-{who}-{name}.png", full_page=True)
                page.close()
        browser.close()


if __name__ == "__main__":
    main()
