"""The calendar page at size: how long it takes to make, and to open and filter in a
real browser (the system's headless chromium, through Selenium, as the tests drive it).

For each size it writes a month of posts (``--rows`` rows over 30 days on five accounts,
named ``platform:username``; 40% slideshows whose images a loopback server answers, so
the lazy thumbnails are real requests), then:

- makes the page in-process: ``validate_campaign`` (offline), then ``calendar_of`` and
  ``write_page`` timed on their own (the page's share);
- opens it in chromium: the time from navigation to the load event and to the end of the
  page's script (``performance.timing``), the DOM's element count, the JS heap;
- filters by one account and back: the time the ``change`` handler takes (in the page).

    .venv/bin/python bench/calendar_page.py [--rows 500 5000 10000] [--repeat 3]

Each browser figure is the median of ``--repeat`` fresh loads. Tests never assert on time.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import _common as bench

sys.path.insert(0, str(bench.REPO_ROOT))

from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.calendar_page import calendar_of, write_page
from bulk_scheduler.launch.dry_run import validate_campaign
from tests.browser import browser_missing, chromium
from tests.calendar_sample import solid_png

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

TARGET_LOAD_S = 2.0  # to the load event, at TARGET_AT_ROWS
TARGET_FILTER_MS = 200.0
TARGET_AT_ROWS = 5_000
ACCOUNTS = (
    "tiktok:genviral",
    "tiktok:genviral_looks",
    "instagram:genviral.ig",
    "instagram:genviral_looks",
    "youtube:GenviralShorts",
)
START = date(2036, 6, 1)
PNG = solid_png(64, 64, (0x4F, 0x9D, 0xDE))


class _Images(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)


def write_month(path: Path, rows: int, media_base: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["caption", "media_type", "media_urls", "accounts", "scheduled_at"])
        for n in range(rows):
            day = START + timedelta(days=n % 30)
            minute = (n * 7) % (14 * 60)
            when = f"{day} {8 + minute // 60:02d}:{minute % 60:02d}"
            accounts = ", ".join(ACCOUNTS[(n + k) % len(ACCOUNTS)] for k in range(1 + n % 3))
            if n % 5 < 2:
                kind, urls = "slideshow", "|".join(f"{media_base}/{n}-{k}.png" for k in range(3))
            else:
                kind, urls = "video", f"https://cdn.example.com/v{n}.mp4"
            caption = f"Post {n + 1}: the look of the day ✨\nSecond line #{n % 40}"
            writer.writerow([caption, kind, urls, accounts, when])


def measure(
    rows: int, repeat: int, folder: Path, media_base: str, driver: WebDriver
) -> list[object]:
    campaign = folder / f"month-{rows}.csv"
    write_month(campaign, rows, media_base)
    started = time.perf_counter()
    report = validate_campaign(campaign, PlanOptions(timezone="Europe/Paris"))
    validated = time.perf_counter() - started
    started = time.perf_counter()
    page = calendar_of(report, planned_zone="Europe/Paris")
    out = write_page(page, folder / f"month-{rows}.html")
    made = time.perf_counter() - started
    loads, scripts, filters, nodes, heap = [], [], [], 0, 0.0
    for _ in range(repeat):
        driver.get("about:blank")
        driver.get(out.resolve().as_uri())
        timing = driver.execute_script(
            "var t = performance.timing; return [t.loadEventEnd - t.navigationStart,"
            " t.domContentLoadedEventEnd - t.navigationStart,"
            " document.getElementsByTagName('*').length,"
            " performance.memory ? performance.memory.usedJSHeapSize : 0];"
        )
        loads.append(timing[0] / 1000)
        scripts.append(timing[1] / 1000)
        nodes, heap = timing[2], timing[3] / 2**20
        filters.append(
            driver.execute_script(
                "var s = document.getElementById('f-account'); var t0 = performance.now();"
                " s.value = '0'; s.dispatchEvent(new Event('change'));"
                " void document.body.offsetHeight;"
                " s.value = ''; s.dispatchEvent(new Event('change'));"
                " void document.body.offsetHeight;"
                " return (performance.now() - t0) / 2;"
            )
        )
    load = statistics.median(loads)
    filtering = statistics.median(filters)
    ok = rows != TARGET_AT_ROWS or (load <= TARGET_LOAD_S and filtering <= TARGET_FILTER_MS)
    return [
        f"{rows:,}",
        f"{validated:.2f}",
        f"{made:.2f}",
        f"{out.stat().st_size / 2**20:.1f}",
        f"{nodes:,}",
        f"{statistics.median(scripts):.2f}",
        f"{load:.2f}",
        f"{filtering:.0f}",
        f"{heap:.0f}",
        bench.mark(ok) if rows == TARGET_AT_ROWS else "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 5_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if (missing := browser_missing()) is not None:
        print(missing, file=sys.stderr)
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    media_base = f"http://127.0.0.1:{server.server_address[1]}"
    table = []
    try:
        with bench.scratch_dir("calendar-") as folder, chromium() as driver:
            for rows in args.rows:
                bench.log(f"calendar page: {rows} rows")
                table.append(measure(rows, args.repeat, folder, media_base, driver))
    finally:
        server.shutdown()
    headers = [
        "rows",
        "validate s",
        "page made s",
        "HTML MB",
        "DOM elements",
        "DOM ready s",
        "load s",
        "filter ms",
        "JS heap MB",
        f"target (load ≤ {TARGET_LOAD_S:g} s, filter ≤ {TARGET_FILTER_MS:g} ms"
        f" at {TARGET_AT_ROWS:,})",
    ]
    print("## The calendar page\n")
    print(bench.machine_line() + "\n")
    print(bench.markdown_table(headers, table))
    print(
        "\nA month of posts (30 days, five accounts named platform:username, 40% slideshows"
        " whose thumbnails a loopback server answers), offline. `validate s`: the dry run;"
        " `page made s`: `calendar_of` + `write_page`; browser figures: headless chromium,"
        f" median of {args.repeat} fresh loads from file://; `filter ms`: one account filter"
        " applied, per change."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
