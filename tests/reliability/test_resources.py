"""Resources: an endless body, a body that drips forever, and a feed with 100,000 entries
keep memory bounded (capped, then stopped) and end within the fetch timeout."""

from __future__ import annotations

import functools
import socket
import threading
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

import pytest

from parsers.base import FetchedPage
from parsers.feed import MAX_ENTRIES, parse_feed
from sources.errors import FetchTimeout
from sources.fetcher import Fetcher
from tests.reliability import rawserver
from tests.reliability.conftest import HTTP_TIMEOUT, MAX_BODY_BYTES
from tests.reliability.multisite import run_with_fault, source
from tradewatch.pipeline import PipelineContext
from tradewatch.sitehost import SampleSite

T = TypeVar("T")
# What a run may allocate on top of what it keeps: a few copies of the capped body, the
# parsed articles of three healthy sources, the classifier's work.
MEMORY_BOUND = 40_000_000


def peak_of(func: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = func()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def big_feed(entries: int) -> bytes:
    items = "".join(f"<item><link>http://127.0.0.1/a/{i}</link></item>" for i in range(entries))
    return f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>".encode()


def test_endless_body_is_cut_at_the_cap(ctx: PipelineContext, multisite: SampleSite) -> None:
    with rawserver.raw_server(rawserver.endless_body) as server:
        run, peak = peak_of(
            functools.partial(run_with_fault, ctx, multisite, source("faulty", server.url()))
        )
    assert run.faulty.error_kind == "too_large"
    assert f"exceeds {MAX_BODY_BYTES} bytes" in (run.faulty.error or "")
    assert peak < MEMORY_BOUND, f"peak {peak} bytes"


def test_a_feed_of_100000_entries_over_the_cap_is_refused(
    ctx: PipelineContext, multisite: SampleSite
) -> None:
    body = big_feed(100_000)
    assert len(body) > MAX_BODY_BYTES
    run, peak = peak_of(
        functools.partial(
            run_with_fault,
            ctx,
            multisite,
            source("faulty", multisite.url("faulty/big.xml")),
            inject=[("faulty/big.xml", {"body": body, "headers": {"Content-Type": "text/xml"}})],
        )
    )
    assert run.faulty.error_kind == "too_large"
    assert peak < MEMORY_BOUND + len(body), f"peak {peak} bytes"


def test_a_body_that_drips_forever_times_out() -> None:
    def drip(conn: socket.socket, stop: threading.Event) -> None:
        rawserver.drip_body(conn, stop, seconds=4 * HTTP_TIMEOUT)

    with (
        rawserver.raw_server(drip) as server,
        Fetcher(user_agent="t", timeout=HTTP_TIMEOUT, max_bytes=MAX_BODY_BYTES) as fetcher,
        pytest.raises(FetchTimeout),
    ):
        fetcher.get(server.url(), allow_local=True)


def test_a_feed_of_100000_entries_under_the_cap_is_parsed_in_bounded_memory() -> None:
    body = big_feed(100_000)
    assert len(body) < 5_000_000
    entries, peak = peak_of(lambda: parse_feed(FetchedPage(url="http://127.0.0.1/", body=body)))
    assert len(entries) == MAX_ENTRIES
    assert peak < 10 * len(body), f"peak {peak} bytes"
