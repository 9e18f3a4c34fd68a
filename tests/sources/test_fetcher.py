"""The polite Fetcher against httpx.MockTransport: robots.txt, retries, addresses, hooks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from sources.errors import BlockedByRobots, ConnectionFailed, HTTPStatusError, SourceUnavailable
from sources.fetcher import Fetcher, origin_of
from sources.politeness import Politeness

UA = "tradewatch/9.9 (+https://example.org/contact)"
PUBLIC = {"news.example.org": ["93.184.216.34"], "cdn.example.net": ["151.101.1.1"]}
NOW = datetime(2025, 1, 30, 1, 0, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def resolver(host: str, port: int) -> list[str]:
    return PUBLIC.get(host, ["10.0.0.7"])  # anything unknown sits in a private network


class Recorder:
    """Records requested URLs and sleeps; serves ``routes`` (path -> response or list)."""

    def __init__(self, routes: dict[str, httpx.Response | list[httpx.Response]]) -> None:
        self.routes = routes
        self.requested: list[str] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requested.append(str(request.url))
        route = self.routes.get(request.url.path, httpx.Response(404))
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route

    def fetcher(self, **kwargs: object) -> Fetcher:
        options: dict[str, object] = {
            "user_agent": UA,
            "timeout": 5.0,
            "max_bytes": 100_000,
            "transport": httpx.MockTransport(self.handler),
            "resolver": resolver,
            "sleep": self.sleeps.append,
            "clock": lambda: 0.0,
            "now": lambda: NOW,
            "rand": lambda: 0.0,
            "politeness": Politeness(host_interval=0.0),
        }
        options.update(kwargs)
        return Fetcher(**options)  # type: ignore[arg-type]

    def paths(self) -> list[str]:
        return [httpx.URL(url).path for url in self.requested]


ROBOTS = "User-agent: *\nDisallow: /private/\n\nUser-agent: tradewatch\nDisallow: /no-bots/\n"


def test_origin_of_keeps_only_non_default_ports() -> None:
    assert origin_of("https://News.Example.org/a?b=1") == "https://news.example.org"
    assert origin_of("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"
    assert origin_of("https://example.org:443/") == "https://example.org"


def test_robots_is_fetched_once_per_host_and_obeyed_for_our_agent() -> None:
    rec = Recorder(
        {"/robots.txt": httpx.Response(200, text=ROBOTS), "/a": httpx.Response(200, text="ok")}
    )
    with rec.fetcher() as fetcher:
        assert fetcher.get("https://news.example.org/a").body == b"ok"
        assert fetcher.get("https://news.example.org/a").body == b"ok"
        with pytest.raises(BlockedByRobots, match="disallows"):
            fetcher.get("https://news.example.org/no-bots/page")
        counts = dict(fetcher.counts)
    # Our group (tradewatch) replaces the * group: /private/ is not ours to avoid, /no-bots/ is.
    assert rec.paths() == ["/robots.txt", "/a", "/a"]
    assert counts == {"robots_blocked": 1}


def test_robots_404_allows_everything() -> None:
    rec = Recorder({"/x": httpx.Response(200, text="x")})
    with rec.fetcher() as fetcher:
        assert fetcher.get("https://news.example.org/x").status == 200
    assert rec.paths() == ["/robots.txt", "/x"]


@pytest.mark.parametrize("status", [500, 503])
def test_robots_5xx_blocks_for_now_and_is_counted(status: int) -> None:
    rec = Recorder({"/robots.txt": httpx.Response(status), "/x": httpx.Response(200)})
    with rec.fetcher(politeness=Politeness(host_interval=0, max_attempts=1)) as fetcher:
        for _ in range(2):
            with pytest.raises(BlockedByRobots, match="unavailable"):
                fetcher.get("https://news.example.org/x")
        assert fetcher.counts["robots_unavailable"] == 2
    assert rec.paths() == ["/robots.txt"]  # asked once per run, page never fetched


def test_robots_can_be_switched_off() -> None:
    rec = Recorder({"/x": httpx.Response(200)})
    with rec.fetcher(obey_robots=False) as fetcher:
        fetcher.get("https://news.example.org/x")
    assert rec.paths() == ["/x"]


def test_429_with_retry_after_waits_then_succeeds() -> None:
    rec = Recorder(
        {
            "/feed": [
                httpx.Response(429, headers={"Retry-After": "7"}),
                httpx.Response(200, text="fresh"),
            ]
        }
    )
    with rec.fetcher(obey_robots=False) as fetcher:
        result = fetcher.get("https://news.example.org/feed")
        counts = dict(fetcher.counts)
    assert result.body == b"fresh"
    assert rec.sleeps == [7.0]
    assert counts == {"retries": 1, "retry_after_waits": 1}


def test_503_with_http_date_retry_after() -> None:
    later = "Thu, 30 Jan 2025 01:00:45 GMT"
    rec = Recorder(
        {"/f": [httpx.Response(503, headers={"Retry-After": later}), httpx.Response(200)]}
    )
    with rec.fetcher(obey_robots=False) as fetcher:
        assert fetcher.get("https://news.example.org/f").status == 200
    assert rec.sleeps == [45.0]


def test_retry_after_beyond_the_cap_fails_clearly() -> None:
    rec = Recorder({"/f": httpx.Response(429, headers={"Retry-After": "3600"})})
    policy = Politeness(host_interval=0, retry_after_cap=120)
    with (
        rec.fetcher(obey_robots=False, politeness=policy) as fetcher,
        pytest.raises(SourceUnavailable, match="3600 s, more than the 120 s cap") as info,
    ):
        fetcher.get("https://news.example.org/f")
    assert info.value.kind == "rate_limited"
    assert rec.sleeps == [] and len(rec.requested) == 1


def test_transient_errors_back_off_exponentially_then_give_up() -> None:
    rec = Recorder({"/f": httpx.Response(502)})
    policy = Politeness(host_interval=0, max_attempts=4, backoff_base=2.0)
    with rec.fetcher(obey_robots=False, politeness=policy) as fetcher:
        with pytest.raises(HTTPStatusError) as info:
            fetcher.get("https://news.example.org/f")
        assert fetcher.counts["retries"] == 3
    assert info.value.status == 502
    assert rec.sleeps == [1.0, 2.0, 4.0]  # rand() == 0: the fixed half of each step


def test_connection_errors_are_retried() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, text="back")

    fetcher = Fetcher(
        user_agent=UA,
        timeout=5,
        max_bytes=1000,
        transport=httpx.MockTransport(handler),
        resolver=resolver,
        obey_robots=False,
        sleep=sleeps.append,
        rand=lambda: 0.0,
        politeness=Politeness(host_interval=0),
    )
    with fetcher:
        assert fetcher.get("https://news.example.org/x").body == b"back"
    assert len(calls) == 2 and sleeps == [0.5]


def test_permanent_errors_are_not_retried() -> None:
    rec = Recorder({"/gone": httpx.Response(404)})
    with rec.fetcher(obey_robots=False) as fetcher, pytest.raises(HTTPStatusError, match="404"):
        fetcher.get("https://news.example.org/gone")
    assert len(rec.requested) == 1 and rec.sleeps == []


def test_exhausted_connection_retries_raise_connection_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset", request=request)

    fetcher = Fetcher(
        user_agent=UA,
        timeout=5,
        max_bytes=1000,
        transport=httpx.MockTransport(handler),
        resolver=resolver,
        obey_robots=False,
        sleep=lambda s: None,
        politeness=Politeness(host_interval=0, max_attempts=2),
    )
    with fetcher, pytest.raises(ConnectionFailed) as info:
        fetcher.get("https://news.example.org/x")
    assert info.value.kind == "unavailable"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8080/feed",
        "http://[::1]/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.10/",
        "http://intranet.corp/",  # resolves to 10.0.0.7
    ],
)
def test_local_addresses_are_refused_without_allow_local(url: str) -> None:
    rec = Recorder({})
    with rec.fetcher() as fetcher, pytest.raises(SourceUnavailable) as info:
        fetcher.get(url)
    assert info.value.kind == "blocked_address"
    assert rec.requested == []  # not even robots.txt


def test_allow_local_permits_a_local_source() -> None:
    rec = Recorder({"/feed": httpx.Response(200, text="ok")})
    with rec.fetcher(obey_robots=False) as fetcher:
        assert fetcher.get("http://127.0.0.1:9/feed", allow_local=True).body == b"ok"


def test_redirect_into_the_local_network_is_refused() -> None:
    rec = Recorder({"/feed": httpx.Response(302, headers={"Location": "http://10.1.2.3/admin"})})
    with (
        rec.fetcher(obey_robots=False) as fetcher,
        pytest.raises(SourceUnavailable, match=r"non-public address 10\.1\.2\.3") as info,
    ):
        fetcher.get("https://news.example.org/feed")
    assert info.value.kind == "blocked_address"
    assert rec.requested == ["https://news.example.org/feed"]


def test_redirect_to_another_public_host_is_followed() -> None:
    rec = Recorder(
        {
            "/feed": httpx.Response(301, headers={"Location": "https://cdn.example.net/f.xml"}),
            "/f.xml": httpx.Response(200, text="moved"),
        }
    )
    with rec.fetcher(obey_robots=False) as fetcher:
        result = fetcher.get("https://news.example.org/feed")
    assert result.final_url == "https://cdn.example.net/f.xml" and result.body == b"moved"


def test_throttle_is_called_with_the_origin_before_each_request() -> None:
    seen: list[tuple[str, int]] = []
    rec = Recorder(
        {
            "/robots.txt": httpx.Response(200, text="User-agent: *\nAllow: /\n"),
            "/a": httpx.Response(200),
        }
    )

    def throttle(origin: str) -> None:
        seen.append((origin, len(rec.requested)))

    with rec.fetcher(throttle=throttle) as fetcher:
        fetcher.get("https://news.example.org/a")
    # Called once per request (robots.txt included), each time before the request went out.
    assert seen == [("https://news.example.org", 0), ("https://news.example.org", 1)]


def test_per_host_spacing_applies_to_public_hosts() -> None:
    now = [0.0]
    rec = Recorder({"/a": httpx.Response(200)})
    with rec.fetcher(
        obey_robots=False, politeness=Politeness(host_interval=1.5), clock=lambda: now[0]
    ) as fetcher:
        for _ in range(3):
            fetcher.get("https://news.example.org/a")
    assert rec.sleeps == [1.5, 3.0]


def test_global_concurrency_limit_holds() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        release.wait(timeout=5)
        with lock:
            active -= 1
        return httpx.Response(200)

    fetcher = Fetcher(
        user_agent=UA,
        timeout=5,
        max_bytes=1000,
        transport=httpx.MockTransport(handler),
        resolver=resolver,
        obey_robots=False,
        politeness=Politeness(host_interval=0, max_concurrency=2),
    )
    threads = [
        threading.Thread(target=fetcher.get, args=(f"https://news.example.org/{i}",))
        for i in range(5)
    ]
    for thread in threads:
        thread.start()
    deadline = threading.Event()
    for _ in range(100):  # poll until two requests are in flight (never more)
        with lock:
            if active == 2:
                break
        deadline.wait(0.02)
    release.set()
    for thread in threads:
        thread.join(timeout=5)
    fetcher.close()
    assert peak == 2
