"""Screenshots of the main pages against the seeded dashboard, into docs/screenshots/.

.venv/bin/python -m tests.e2e.screenshots [--out docs/screenshots] [--width 1600] [--height 1000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.server import REPO, browser_login, card_selector, launch_browser, running_dashboard

PAGES = [
    ("overview", "/", ".js-plotly-plot .bars, .js-plotly-plot .scatterlayer .trace"),
    ("alerts", "/alerts", ".alert-card"),
    ("event", "/events?id={event}", "#event-title"),
    ("events", "/events", ".ag-row"),
    ("items", "/items?id={item}", "#item-title"),
    ("departments", "/departments", ".ag-row"),
    ("sources", "/sources", ".ag-row"),
    ("reports", "/reports", ".ag-row"),
    ("admin", "/admin", ".ag-row"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_dashboard(Path(tmp), refresh_seconds=60) as dash:
        info = dash.info
        with sync_playwright() as p:
            browser = launch_browser(p)
            context = browser.new_context(
                viewport={"width": args.width, "height": args.height},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            page = context.new_page()
            browser_login(page, dash.base_url, "admin")
            for name, path, ready in PAGES:
                url = dash.url(path.format(event=info.events["e0"], item=info.phone_item_id))
                page.goto(url)
                page.wait_for_selector(ready, timeout=20_000)
                if name == "alerts":
                    page.locator(card_selector(info.alerts["yellow_overdue"])).click()
                    page.wait_for_selector("#alert-detail-title", timeout=10_000)
                page.wait_for_timeout(1500)
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            context.close()
            laptop = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = laptop.new_page()
            browser_login(page, dash.base_url, "duty", next_path="/alerts")
            page.wait_for_selector(".alert-card", timeout=20_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(args.out / "alerts-laptop.png"))
            print(args.out / "alerts-laptop.png")
            browser.close()


if __name__ == "__main__":
    main()
