"""One real browser (Debian's headless Chromium via Playwright) through accept and dismiss.

Skips when Chromium is absent, unless TRADEWATCH_REQUIRE_BROWSER=1 (CI), which fails instead.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session

from classify.baseline import load_baseline
from storage.enums import PolicyChangeStatus
from storage.models import PolicyChange
from tests.notify.servers import free_port
from tests.web.conftest import Site
from tradewatch.web import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("TRADEWATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def served(review_site: Site) -> Iterator[str]:
    app = create_app(engine=review_site.engine, baseline_path=review_site.baseline_path)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # poll until bound, with a deadline
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn thread died"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_accept_and_dismiss_in_chromium(review_site: Site, served: str) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    accepted, dismissed = review_site.change_ids
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(served + "/")
            card = page.locator(f"#change-{accepted}")
            card.locator("input[name=note]").fill("Provinces now sign trade contracts.")
            card.get_by_role("button", name="Accept: policy moved").click()
            expect(page.locator("#notice")).to_contain_text(
                f"accepted change {accepted}: baseline 2025.2"
            )
            card = page.locator(f"#change-{dismissed}")
            card.locator("input[name=reason]").fill("a misread quote")
            card.get_by_role("button", name="Dismiss: false alarm").click()
            expect(page.locator("#notice")).to_contain_text(f"dismissed change {dismissed}")
            expect(page.locator("#no-changes")).to_be_visible()
        finally:
            browser.close()

    with Session(review_site.engine) as session:
        first = session.get(PolicyChange, accepted)
        second = session.get(PolicyChange, dismissed)
        assert first is not None and second is not None
        assert first.status is PolicyChangeStatus.ACCEPTED
        assert second.status is PolicyChangeStatus.DISMISSED
        assert second.review_note == "a misread quote"
    dim = load_baseline(review_site.baseline_path).dimension("trade_authority")
    assert dim is not None and dim.statement == "Provinces now sign trade contracts."
