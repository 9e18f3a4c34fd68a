"""A deterministic benchmark site on 127.0.0.1: N outlets, their feeds, archives and articles.

Every outlet ``o<i>`` has an Atom feed of its latest articles (``/o<i>/feed.xml``), a sitemap
index over its whole archive (``/o<i>/sitemap.xml`` → ``/o<i>/sitemap-<k>.xml``) and article
pages ``/o<i>/a<j>.html`` of 20 to 80 KB: Daily NK's markup (what the ``dailynk`` parser
reads) wrapped in navigation menus, inline scripts and styles, a "most read" sidebar and a
footer, as real news pages are. Pages are generated from (seed, outlet, article, version), so
the same seed always gives the same bytes, and all of them before the site says it is serving
(and changed ones when they change), so that during a measured run the site spends only what
serving costs (~0.3 ms of CPU per page instead of ~1 ms): it shares the machine's cores with
the client under test, while a real site renders its pages on its own machines. That costs the
site process ~50 KB of memory per article (0.5 GB for 10,000). ETags are answered with 304.

Between rounds a benchmark changes the site through control routes:
``/_bench/mutate?fraction=0.1&at=<iso>`` appends an update paragraph to that fraction of the
articles (chosen deterministically) and marks their feed entries updated at ``at``;
``/_bench/add?count=100&at=<iso>`` publishes new articles; ``/_bench/stats`` and
``/_bench/reset`` count requests, 304s, bytes and article bodies served. The server runs in its
own process (:class:`SiteProcess`) so that its CPU time never counts against the client.

Run alone: ``python -m bench.site --outlets 5 --articles 20`` prints its address and serves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bench import text
from tradewatch.sitehost import send_body

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
SITEMAP_CHUNK = 1000
MIN_PAGE_BYTES = 20_000
MAX_PAGE_BYTES = 80_000
_ARTICLE = re.compile(r"^/o(\d+)/a(\d+)\.html$")
_FEED = re.compile(r"^/o(\d+)/feed\.xml$")
_SITEMAP_INDEX = re.compile(r"^/o(\d+)/sitemap\.xml$")
_SITEMAP = re.compile(r"^/o(\d+)/sitemap-(\d+)\.xml$")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Outlet:
    """One outlet's articles: how many, their versions and when each was last updated."""

    index: int
    count: int
    published: dict[int, datetime] = field(default_factory=dict)  # only for added articles
    versions: dict[int, int] = field(default_factory=dict)
    updated: dict[int, datetime] = field(default_factory=dict)

    def published_at(self, j: int) -> datetime:
        # Archived articles are an hour apart, each outlet a few minutes off the others.
        return self.published.get(j) or BASE_TIME + timedelta(hours=j, minutes=self.index % 60)


@dataclass
class Stats:
    """What the site served since the last reset."""

    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    article_bodies: int = 0
    feed_bodies: int = 0


class BenchSite:
    """The site's content and state; thread-safe, rendered on request."""

    def __init__(self, *, outlets: int, articles: int, feed_size: int = 10, seed: int = 1) -> None:
        self.seed = seed
        self.feed_size = feed_size
        self.outlets = [Outlet(index=i, count=articles) for i in range(outlets)]
        self.stats = Stats()
        self.base_url = ""
        self._lock = threading.Lock()
        self._mutations = 0
        self._pages: dict[tuple[int, int], tuple[int, bytes]] = {}  # (i, j) -> (version, body)

    def render_all(self) -> int:
        """Render every article page at its current version ahead of requests; how many
        were rendered (those already current are kept)."""
        with self._lock:
            wanted = [(o.index, j) for o in self.outlets for j in range(o.count)]
        return sum(self._current(i, j)[1] for i, j in wanted)

    def _current(self, i: int, j: int) -> tuple[tuple[int, bytes], bool]:
        """Article ``j`` of outlet ``i`` as (version, body), rendered if not held at its
        current version; and whether it was rendered now."""
        with self._lock:
            outlet = self.outlets[i]
            version = outlet.versions.get(j, 0)
            published = outlet.published_at(j)
            held = self._pages.get((i, j))
        if held is not None and held[0] == version:
            return held, False
        body = render_article(self.seed, i, j, version, _iso(published), self.base_url)
        with self._lock:
            self._pages[(i, j)] = (version, body)
        return (version, body), True

    # -- content -------------------------------------------------------------------------

    def article(self, i: int, j: int) -> tuple[bytes, str] | None:
        """(body, etag) of article ``j`` of outlet ``i``, or None when there is no such page."""
        with self._lock:
            if i >= len(self.outlets) or j >= self.outlets[i].count:
                return None
        (version, body), _ = self._current(i, j)
        return body, f'"a-{self.seed}-{i}-{j}-{version}"'

    def feed(self, i: int) -> bytes | None:
        """The outlet's Atom feed: its latest ``feed_size`` articles, newest first."""
        with self._lock:
            if i >= len(self.outlets):
                return None
            outlet = self.outlets[i]
            newest = range(outlet.count - 1, max(-1, outlet.count - 1 - self.feed_size), -1)
            entries = [
                (j, outlet.published_at(j), outlet.updated.get(j, outlet.published_at(j)))
                for j in newest
            ]
        site = f"{self.base_url}/o{i}/"
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>Bench outlet {i}</title><id>{site}</id>",
            f'<link rel="alternate" href="{site}"/>',
            f"<updated>{_iso(max((e[2] for e in entries), default=BASE_TIME))}</updated>",
        ]
        for j, published, updated in entries:
            url = f"{site}a{j}.html"
            title = escape(article_title(self.seed, i, j))
            parts.append(
                f'<entry><title>{title}</title><link rel="alternate" href="{url}"/>'
                f"<id>{url}</id><published>{_iso(published)}</published>"
                f"<updated>{_iso(updated)}</updated>"
                f"<summary>Invented summary of item {j} of outlet {i}.</summary></entry>"
            )
        parts.append("</feed>\n")
        return "\n".join(parts).encode()

    def sitemap_index(self, i: int) -> bytes | None:
        with self._lock:
            if i >= len(self.outlets):
                return None
            count = self.outlets[i].count
        chunks = (count + SITEMAP_CHUNK - 1) // SITEMAP_CHUNK
        locs = "".join(
            f"<sitemap><loc>{self.base_url}/o{i}/sitemap-{k}.xml</loc></sitemap>"
            for k in range(chunks)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{locs}</sitemapindex>\n"
        ).encode()

    def sitemap(self, i: int, k: int) -> bytes | None:
        with self._lock:
            if i >= len(self.outlets):
                return None
            outlet = self.outlets[i]
            first, last = k * SITEMAP_CHUNK, min(outlet.count, (k + 1) * SITEMAP_CHUNK)
            if first >= last:
                return None
            rows = [(j, outlet.published_at(j)) for j in range(first, last)]
        urls = "".join(
            f"<url><loc>{self.base_url}/o{i}/a{j}.html</loc><lastmod>{_iso(when)}</lastmod></url>"
            for j, when in rows
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>\n"
        ).encode()

    # -- changes between rounds ------------------------------------------------------------

    def mutate(self, fraction: float, at: datetime) -> int:
        """Update ``fraction`` of all current articles (a new closing paragraph); returns how
        many. The choice depends only on the seed and how many mutations came before."""
        with self._lock:
            self._mutations += 1
            pool = [(o.index, j) for o in self.outlets for j in range(o.count)]
            rng = random.Random(f"{self.seed}:mutate:{self._mutations}")
            chosen = rng.sample(pool, round(len(pool) * fraction))
            for i, j in chosen:
                outlet = self.outlets[i]
                outlet.versions[j] = outlet.versions.get(j, 0) + 1
                outlet.updated[j] = at
            return len(chosen)

    def add(self, count: int, at: datetime) -> int:
        """Publish ``count`` new articles, spread round-robin over the outlets."""
        with self._lock:
            for n in range(count):
                outlet = self.outlets[n % len(self.outlets)]
                outlet.published[outlet.count] = at
                outlet.count += 1
            return count

    def record(self, *, status: int, size: int, kind: str) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.bytes += size
            if status == 304:
                self.stats.not_modified += 1
            elif status == 200 and kind == "article":
                self.stats.article_bodies += 1
            elif status == 200 and kind == "feed":
                self.stats.feed_bodies += 1

    def reset_stats(self) -> Stats:
        with self._lock:
            old, self.stats = self.stats, Stats()
            return old


def article_title(seed: int, i: int, j: int) -> str:
    rng = random.Random(f"{seed}:title:{i}:{j}")
    return f"{text.headline(rng)} ({i}-{j})"


def render_article(seed: int, i: int, j: int, version: int, published: str, base: str) -> bytes:
    """One article page in Daily NK's markup, padded with boilerplate to 20–80 KB."""
    rng = random.Random(f"{seed}:page:{i}:{j}")
    target = rng.randint(MIN_PAGE_BYTES, MAX_PAGE_BYTES)
    title = escape(article_title(seed, i, j))
    paragraphs = [
        f"<p>{escape(p)}</p>" for p in text.item_text(rng, rng.randint(1500, 5000)).split("\n\n")
    ]
    for v in range(1, version + 1):
        update_rng = random.Random(f"{seed}:update:{i}:{j}:{v}")
        paragraphs.append(f"<p>Update {v}: {escape(text.paragraph(update_rng))}</p>")
    menu = "".join(
        f'<li class="menu-item"><a href="{base}/o{i}/category/{label.lower().replace(" ", "-")}/">'
        f"{label}</a></li>"
        for label in text.nav_labels()
    )
    head = (
        f'<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8" />'
        f"<title>{title} | Bench Outlet {i}</title>"
        f'<link rel="canonical" href="{base}/o{i}/a{j}.html" />'
        f'<meta property="og:title" content="{title}" />'
        f'<meta property="article:published_time" content="{published}" />'
        f'<meta name="author" content="Bench Reporter {j % 7}" />'
        f"<style>{_STYLE}</style><script>{_SCRIPT}</script></head>"
        '<body class="post-template-default single single-post td-standard-pack">'
        f'<div class="td-header-wrap"><div class="td-header-menu-wrap"><ul class="sf-menu">'
        f"{menu}</ul></div></div>"
    )
    article = (
        '<div class="td-main-content-wrap"><article class="post type-post">'
        '<div class="td-post-header"><header class="td-post-title">'
        f'<h1 class="entry-title">{title}</h1><div class="td-module-meta-info">'
        f'<div class="td-post-author-name"><a href="{base}/author/{j % 7}/">'
        f"Bench Reporter {j % 7}</a></div>"
        f'<span class="td-post-date"><time class="entry-date updated" datetime="{published}">'
        f"{published[:10]}</time></span></div></header></div>"
        '<div class="td-post-sharing-top"><a href="#">Share</a></div>'
        '<div class="td-post-content tagdiv-type">'
        '<div class="td-a-rec"><span>- Advertisement -</span></div>'
        + "".join(paragraphs)
        + "<p><em>Please direct any comments or questions to the bench desk.</em></p></div>"
        '<div class="td_block_wrap td_block_related_posts"><h4>RELATED ARTICLES</h4>'
        + "".join(
            f'<div class="td-module-title"><a href="{base}/o{i}/a{k}.html">Related {k}</a></div>'
            for k in range(max(0, j - 4), j)
        )
        + "</div></article></div>"
    )
    tail = f'<div class="td-footer-wrapper"><ul>{menu}</ul><p>Copyright bench outlet</p></div>'
    sidebar: list[str] = ['<aside class="td-sidebar"><h4>Most read</h4><ul>']
    size = len(head) + len(article) + len(tail) + 40
    while size < target:
        k = rng.randrange(0, 100_000)
        item = (
            f'<li class="td-module"><a href="{base}/o{i}/a{k}.html">'
            f'{escape(text.headline(rng))}</a><span class="td-module-date">{k % 28 + 1} '
            f'March</span><div class="td-excerpt">{escape(text.sentence(rng))}</div></li>'
        )
        sidebar.append(item)
        size += len(item)
    sidebar.append("</ul></aside>")
    return (head + article + "".join(sidebar) + tail + "</body></html>\n").encode()


_STYLE = "".join(
    f".td-block-{n} .td-module-title a{{color:#{n * 4099 % 0xFFFFFF:06x};font-size:{12 + n % 6}px}}"
    for n in range(40)
)
_SCRIPT = "var tdBlocksArray=[];var tdLocalCache={};" + "".join(
    f'tdBlocksArray.push({{"id":"td_uid_{n}","ajax":"/wp-admin/admin-ajax.php","n":{n}}});'
    for n in range(30)
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: BenchSite


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as real sites and both clients under test use it.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm and delayed ACKs
    # add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/_bench/"):
            self._control(site, path, {k: v[0] for k, v in parse_qs(parts.query).items()})
            return
        kind, body, etag, ctype = self._route(site, path)
        if body is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        if etag is None:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            site.record(status=304, size=0, kind=kind)
            self._send(304, b"", {"ETag": etag})
            return
        site.record(status=200, size=len(body), kind=kind)
        self._send(200, body, {"Content-Type": ctype, "ETag": etag})

    def _route(self, site: BenchSite, path: str) -> tuple[str, bytes | None, str | None, str]:
        html, xml = "text/html; charset=utf-8", "application/xml; charset=utf-8"
        if path == "/robots.txt":
            return "robots", b"User-agent: *\nAllow: /\n", None, "text/plain"
        if m := _ARTICLE.match(path):
            found = site.article(int(m[1]), int(m[2]))
            return ("article", *found, html) if found else ("article", None, None, html)
        if m := _FEED.match(path):
            return "feed", site.feed(int(m[1])), None, "application/atom+xml; charset=utf-8"
        if m := _SITEMAP_INDEX.match(path):
            return "sitemap", site.sitemap_index(int(m[1])), None, xml
        if m := _SITEMAP.match(path):
            return "sitemap", site.sitemap(int(m[1]), int(m[2])), None, xml
        return "other", None, None, html

    def _control(self, site: BenchSite, path: str, query: dict[str, str]) -> None:
        at = datetime.fromisoformat(query.get("at", _iso(datetime.now(UTC))))
        result: dict[str, Any]
        if path == "/_bench/mutate":
            result = {"changed": site.mutate(float(query.get("fraction", "0.1")), at)}
            site.render_all()  # the changed pages, before the round that reads them
        elif path == "/_bench/add":
            result = {"added": site.add(int(query.get("count", "1")), at)}
            site.render_all()
        elif path == "/_bench/stats":
            result = vars(site.stats).copy()
        elif path == "/_bench/reset":
            result = vars(site.reset_stats()).copy()
        else:
            self._send(404, b"unknown control route", {"Content-Type": "text/plain"})
            return
        self._send(200, json.dumps(result).encode(), {"Content-Type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        send_body(self, status, body, headers)


def serve(site: BenchSite, *, host: str = "127.0.0.1", port: int = 0) -> _Server:
    """Bind a server for ``site`` (a free port by default); the caller runs serve_forever."""
    server = _Server((host, port), _Handler)
    server.site = site
    bound_host, bound_port = server.server_address[:2]
    site.base_url = f"http://{bound_host!s}:{bound_port}"
    return server


class SiteProcess:
    """A benchmark site running in a child process, with its control routes as methods."""

    def __init__(self, proc: subprocess.Popen[str], base_url: str) -> None:
        self.proc = proc
        self.base_url = base_url
        self._client = httpx.Client(base_url=base_url, timeout=60, trust_env=False)

    def mutate(self, fraction: float, at: datetime) -> int:
        return int(self._control("mutate", fraction=fraction, at=_iso(at))["changed"])

    def add(self, count: int, at: datetime) -> int:
        return int(self._control("add", count=count, at=_iso(at))["added"])

    def stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._control("stats").items()}

    def reset_stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._control("reset").items()}

    def _control(self, route: str, **params: object) -> dict[str, Any]:
        response = self._client.get(
            f"/_bench/{route}", params={k: str(v) for k, v in params.items()}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def close(self) -> None:
        self._client.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@contextmanager
def site_process(
    *, outlets: int, articles: int, feed_size: int = 10, seed: int = 1
) -> Iterator[SiteProcess]:
    """Start ``python -m bench.site`` with these sizes; stop it when the block exits."""
    cmd = [
        sys.executable,
        "-m",
        "bench.site",
        f"--outlets={outlets}",
        f"--articles={articles}",
        f"--feed-size={feed_size}",
        f"--seed={seed}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # "serving <url>", or "" if the child died
    if not line.startswith("serving "):
        proc.kill()
        raise RuntimeError(f"benchmark site did not start (said {line!r})")
    site = SiteProcess(proc, line.split(" ", 1)[1])
    try:
        yield site
    finally:
        site.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=50)
    parser.add_argument("--articles", type=int, default=10, help="archived articles per outlet")
    parser.add_argument("--feed-size", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    site = BenchSite(
        outlets=args.outlets, articles=args.articles, feed_size=args.feed_size, seed=args.seed
    )
    server = serve(site, port=args.port)
    site.render_all()  # pages embed the site's address, known once bound
    print(f"serving {site.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
