"""Article pages fetched one ahead: the next page is on its way while this one is processed,
never more than one fetch at a time, in listing order, and nothing fetched after a stop."""

from __future__ import annotations

import threading
from typing import cast

import pytest

from sources.errors import FetchError
from sources.fetch import FetchResult
from sources.fetcher import Fetcher
from tradewatch.pipeline import _PagesAhead
from tradewatch.sources_config import SourceConfig, SourceKind

# Only a guard against hanging if the page ahead never comes; nothing here measures time.
PATIENCE = 10.0


class StubFetcher:
    """Records what is fetched, and how many fetches run at once."""

    def __init__(self, fail: set[str] | None = None, hold: set[str] | None = None) -> None:
        self.started: list[str] = []
        self.held = {url: threading.Event() for url in hold or set()}
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail = fail or set()
        self.locals: list[bool] = []
        self._lock = threading.Lock()
        self.started_event: dict[str, threading.Event] = {}

    def event(self, url: str) -> threading.Event:
        with self._lock:
            return self.started_event.setdefault(url, threading.Event())

    def get(self, url: str, *, allow_local: bool = False) -> FetchResult:
        with self._lock:
            self.started.append(url)
            self.locals.append(allow_local)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.event(url).set()
        try:
            if url in self.held:
                assert self.held[url].wait(PATIENCE)
            if url in self.fail:
                raise FetchError(url, "refused")
            return FetchResult(
                url=url,
                final_url=url,
                status=200,
                headers={},
                body=url.encode(),
                sha256="",
                elapsed=0.0,
            )
        finally:
            with self._lock:
                self.in_flight -= 1


SOURCE = SourceConfig(
    name="s", kind=SourceKind.FEED, url="http://127.0.0.1/feed.xml", parser="generic", local=True
)
URLS = [f"http://127.0.0.1/a{i}" for i in range(5)]


def test_the_next_page_is_fetched_while_this_one_is_processed() -> None:
    stub = StubFetcher()
    bodies: list[bytes] = []
    with _PagesAhead(cast(Fetcher, stub), SOURCE, URLS) as pages:
        for index, page in enumerate(pages):
            bodies.append(page.result().body)
            if index + 1 < len(URLS):
                # Still "processing" page index: the next one has been asked for already.
                assert stub.event(URLS[index + 1]).wait(PATIENCE)
    assert bodies == [u.encode() for u in URLS]
    assert stub.started == URLS
    assert stub.locals == [True] * len(URLS)


def test_one_fetch_at_a_time() -> None:
    stub = StubFetcher(hold={URLS[1]})
    with _PagesAhead(cast(Fetcher, stub), SOURCE, URLS) as pages:
        ahead = iter(pages)
        assert next(ahead).result().body == URLS[0].encode()
        assert stub.event(URLS[1]).wait(PATIENCE)  # the page ahead is under way (and held)
        third_started = stub.event(URLS[2]).is_set()
        stub.held[URLS[1]].set()
        rest = [page.result().body for page in ahead]
    assert not third_started
    assert rest == [u.encode() for u in URLS[1:]]
    assert stub.most_in_flight == 1


def test_a_failed_fetch_is_that_page_s_error() -> None:
    stub = StubFetcher(fail={URLS[1]})
    outcomes: list[str] = []
    with _PagesAhead(cast(Fetcher, stub), SOURCE, URLS) as pages:
        for page in pages:
            try:
                outcomes.append(page.result().body.decode())
            except FetchError as exc:
                outcomes.append(f"error {exc.url}")
    assert outcomes == [URLS[0], f"error {URLS[1]}", *URLS[2:]]


def test_stopping_early_fetches_nothing_more() -> None:
    stub = StubFetcher()
    with pytest.raises(RuntimeError), _PagesAhead(cast(Fetcher, stub), SOURCE, URLS) as pages:
        for page in pages:
            page.result()
            raise RuntimeError("the database went away")
    # The first page, and at most the one fetched ahead of it.
    assert stub.started in (URLS[:1], URLS[:2])
    assert stub.in_flight == 0


def test_no_pages_no_fetches() -> None:
    stub = StubFetcher()
    with _PagesAhead(cast(Fetcher, stub), SOURCE, []) as pages:
        assert list(pages) == []
    assert stub.started == []
