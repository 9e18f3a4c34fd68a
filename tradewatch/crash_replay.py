"""Crash replay: kill a monitor-and-digest run with SIGKILL at random points, restart it, and
check that storage and deliveries come out as if nothing had happened.

The harness serves a fixture site with a known set of articles on 127.0.0.1 and records every
notification on a local webhook receiver (two channels). Each round starts a fresh process
(``direct``: the pipeline and digest functions without Prefect, fast; ``cli``: the real
``tradewatch run``, which starts Prefect's temporary server) in its own process group, kills
the whole group at a random moment, and goes again; a last round runs to completion. Then:

- every listed article is stored exactly once, with one revision and one assessment;
- no duplicated signals, policy-change evidence, open policy changes or deliveries;
- deliveries, by the channels' policy for sends a kill left uncertain (``--uncertain``):

  - ``resend`` (the default here): both channels are configured with
    ``tw-uncertain=resend``, and the receiver behaves as an idempotent one: it records every
    raw POST with its ``Idempotency-Key`` and processes only the first POST of each key.
    Every delivery row must end ``sent`` (none left uncertain after the last, clean round),
    every (channel, digest) must have been received exactly once after deduplication by key,
    under the key of its delivery row, and every POST must carry a key. The report gives the
    raw POSTs and how many of them were repeats absorbed by the key.
  - ``hold`` (tradewatch's default): every delivery ``sent`` or left ``sending`` (uncertain,
    for an operator), nothing received twice, every ``sent`` one received; the report says
    how many uncertain ones had in fact arrived (their key was received).

Run it with ``scripts/crash-replay N [--mode cli] [--uncertain hold]``; a pytest test runs a
few rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tradewatch.sitehost import serve_directory, serving

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("desk-east", "desk-west", "desk-north")
ARTICLES_PER_SOURCE = 8
# The receiver holds each POST this long before answering: a kill in that gap is the
# "channel accepted, not yet recorded as sent" case that exactly-once delivery must handle.
RECEIVER_DELAY = 0.15
# Seconds the last round may take. In cli mode a killed run's Prefect concurrency slot is
# only given back when its lease runs out (flows/limits.py LEASE_SECONDS, 300 s), so the
# round after a kill may wait that long before it fetches anything.
ROUND_DEADLINE = 600.0


class Mode(StrEnum):
    DIRECT = "direct"  # pipeline + digest functions in a subprocess, no Prefect
    CLI = "cli"  # the real `tradewatch run`


_TOPICS = (
    (
        "Trading companies may now sign contracts abroad on their own",
        "Provincial trading companies were granted independent trade authority this month and "
        "may send delegations of up to ten people to negotiate contracts abroad.",
    ),
    (
        "Cabinet tells traders to route every contract through the ministry",
        "The cabinet ordered trading companies to route all contracts through central "
        "ministries as the state rebuilds its unitary trade system.",
    ),
    (
        "Customs post at the northern border reopens for freight",
        "Freight lorries crossed the northern border bridge again after customs inspections "
        "resumed, according to traders in the border city.",
    ),
    (
        "Farm cooperative reports an early potato harvest",
        "A farm cooperative in the east of the country reported an early potato harvest after "
        "a mild spring, local radio said.",
    ),
)

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8" /><title>{title}</title>
<meta property="article:published_time" content="{date}T09:00:00+09:00" /></head>
<body><article>
<header class="td-post-title"><h1 class="entry-title">{title}</h1>
<span class="td-post-date"><time class="entry-date" datetime="{date}T09:00:00+09:00">{date}</time>
</span></header>
<div class="td-post-content">
<p>{lead}</p>
<p>Item {n} of the {source} crash-replay desk. All text is invented for the test.</p>
<p>Observers said the measure would be watched closely in the coming weeks.</p>
</div></article></body></html>
"""


def build_site(root: Path) -> list[str]:
    """Write the fixture site (one RSS feed per source); return every article's path."""
    paths: list[str] = []
    for source in SOURCES:
        items = []
        for n in range(ARTICLES_PER_SOURCE):
            title, lead = _TOPICS[n % len(_TOPICS)]
            title = f"{title} ({source} {n})"
            date = f"2025-05-{n + 1:02d}"
            path = f"{source}/2025/05/item-{n}/"
            page = root / path / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(
                _PAGE.format(title=title, lead=lead, n=n, source=source, date=date),
                encoding="utf-8",
            )
            items.append(
                f"<item><title>{title}</title><link>{{{{BASE_URL}}}}/{path}</link>"
                f"<pubDate>{n + 1:02d} May 2025 00:00:00 +0000</pubDate></item>"
            )
            paths.append(path)
        feed = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{source}</title><link>{{{{BASE_URL}}}}/</link>{''.join(items)}"
            "</channel></rss>"
        )
        (root / source / "feed.xml").write_text(feed, encoding="utf-8")
    return paths


@dataclass(frozen=True)
class Received:
    channel: str
    title: str
    key: str | None  # the Idempotency-Key header, if any


@dataclass
class Inbox:
    """What the receiver got: every raw POST, and the messages an idempotent receiver
    processes (the first POST of each key; a POST without a key is always processed)."""

    raw: list[Received] = field(default_factory=list)
    processed: list[Received] = field(default_factory=list)
    absorbed: int = 0  # POSTs dropped because their key had been processed already
    _keys: set[str] = field(default_factory=set)

    def record(self, post: Received) -> None:
        self.raw.append(post)
        if post.key is not None and post.key in self._keys:
            self.absorbed += 1
            return
        if post.key is not None:
            self._keys.add(post.key)
        self.processed.append(post)


@contextmanager
def recording_receiver() -> Iterator[tuple[int, Inbox]]:
    """A JSON webhook on 127.0.0.1 that records (path, title, Idempotency-Key) of every POST
    and deduplicates by key, answering 200 to repeats as an idempotent receiver does."""
    inbox = Inbox()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            post = Received(
                self.path, str(payload.get("title", "")), self.headers.get("Idempotency-Key")
            )
            # Recorded on arrival, before answering: a repeat that comes while the first is
            # still being handled is recognised too, as a real receiver must.
            with lock:
                inbox.record(post)
            time.sleep(RECEIVER_DELAY)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return  # keep the harness output readable

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler), name="receiver") as server:
        yield server.server_address[1], inbox


@dataclass
class ReplayReport:
    """What a replay did and found. ``problems`` empty means every check passed."""

    mode: str
    uncertain_policy: str = "resend"
    rounds: int = 0
    killed: int = 0
    completed_early: int = 0  # rounds that finished before their kill time
    crashed: int = 0  # rounds that exited non-zero on their own
    articles_expected: int = 0
    articles_stored: int = 0
    assessments: int = 0
    digests: int = 0
    deliveries: int = 0
    deliveries_resent: int = 0  # rows re-sent after an interrupted send (resend channels)
    posts_received: int = 0  # raw POSTs, repeats included
    duplicates_absorbed: int = 0  # POSTs repeating a key already processed
    messages_processed: int = 0  # after deduplication by key
    posts_without_key: int = 0
    duplicate_posts: int = 0  # (channel, digest) processed more than once
    uncertain: int = 0  # delivery rows left "sending" after the last round
    uncertain_arrived: int = 0
    lost_posts: int = 0
    delivery_semantics: str = ""
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _command(mode: Mode, sources: Path, baseline: Path) -> list[str]:
    if mode is Mode.CLI:
        return [sys.executable, "-m", "tradewatch.cli", "run", "--sources", str(sources),
                "--baseline", str(baseline)]  # fmt: skip
    return [sys.executable, "-m", "tradewatch.crash_replay", "--worker", "--sources",
            str(sources), "--baseline", str(baseline)]  # fmt: skip


def _run_round(cmd: list[str], env: dict[str, str], kill_after: float | None, log: Path) -> str:
    """Run one round; returns "killed", "completed" or "crashed"."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=out, start_new_session=True, cwd=PROJECT_ROOT
        )
        try:
            proc.wait(timeout=kill_after if kill_after is not None else ROUND_DEADLINE)
        except subprocess.TimeoutExpired:
            # The whole group: Prefect's temporary server is a child of the CLI process.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if kill_after is None:
                return "crashed"
            return "killed"
    return "completed" if proc.returncode == 0 else "crashed"


def replay(
    *,
    kills: int,
    mode: Mode = Mode.DIRECT,
    workdir: Path | None = None,
    seed: int = 0,
    uncertain: str = "resend",
) -> ReplayReport:
    """Kill ``kills`` rounds at random points, run a last round to completion, check.

    ``uncertain`` is both channels' ``tw-uncertain`` policy: ``resend`` or ``hold``.
    """
    rng = random.Random(seed)  # noqa: S311  # kill times, not secrets
    workdir = workdir or Path(tempfile.mkdtemp(prefix="tradewatch-crash-"))
    site_root = workdir / "site"
    paths = build_site(site_root)
    report = ReplayReport(mode=str(mode), uncertain_policy=uncertain, articles_expected=len(paths))
    started = time.monotonic()
    with serve_directory(site_root) as site, recording_receiver() as (port, inbox):
        sources_file = workdir / "sources.yaml"
        sources = [
            {"name": s, "kind": "feed", "url": site.url(f"{s}/feed.xml"), "parser": "dailynk"}
            for s in SOURCES
        ]
        sources_file.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
        baseline = PROJECT_ROOT / "config" / "baseline" / "dprk-trade.yaml"
        channel_urls = [
            f"json://127.0.0.1:{port}/{name}?tw-uncertain={uncertain}"
            for name in ("chan-a", "chan-b")
        ]
        db_url = f"sqlite:///{(workdir / 'tradewatch.db').as_posix()}"
        env = {
            **os.environ,
            "TRADEWATCH_DATABASE_URL": db_url,
            "TRADEWATCH_DATA_DIR": str(workdir),
            "TRADEWATCH_DIGEST_DIR": str(workdir / "digests"),
            "TRADEWATCH_NOTIFY_URLS": " ".join(channel_urls),
            "TRADEWATCH_HOST_INTERVAL": "0",
            "PREFECT_HOME": str(workdir / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        cmd = _command(mode, sources_file, baseline)
        log = workdir / "rounds.log"
        # Kill points are drawn over the length of a first, uninterrupted run's worth of
        # work; they are measured on a scratch copy so the real database starts empty.
        horizon = _calibrate(cmd, env, workdir, log)
        # The calibration round includes one-time costs (Prefect creating its database), so
        # the later, warm rounds are shorter: draw over the first two thirds to land kills.
        for _ in range(kills):
            outcome = _run_round(cmd, env, rng.uniform(0.0, horizon * 2 / 3), log)
            report.rounds += 1
            report.killed += outcome == "killed"
            report.completed_early += outcome == "completed"
            report.crashed += outcome == "crashed"
        final = _run_round(cmd, env, None, log)
        report.rounds += 1
        if final != "completed":
            report.problems.append(f"the last round did not complete ({final}); see {log}")
        expected_urls = {site.url(p).rstrip("/") for p in paths}
        check(report, db_url, expected_urls, inbox, channel_urls)
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _calibrate(cmd: list[str], env: dict[str, str], workdir: Path, log: Path) -> float:
    scratch = workdir / "calibration"
    scratch.mkdir()
    scratch_env = {
        **env,
        "TRADEWATCH_DATABASE_URL": f"sqlite:///{(scratch / 'tw.db').as_posix()}",
        "TRADEWATCH_DIGEST_DIR": str(scratch / "digests"),
        "TRADEWATCH_NOTIFY_URLS": "",
    }
    began = time.monotonic()
    _run_round(cmd, scratch_env, None, log)
    # Deliveries (two channels, RECEIVER_DELAY each) are not part of the scratch run.
    return time.monotonic() - began + 4 * RECEIVER_DELAY


def check(
    report: ReplayReport,
    db_url: str,
    expected_urls: set[str],
    inbox: Inbox,
    channel_urls: list[str],
) -> None:
    """Compare the database and the receiver's log with what a crash-free run gives."""
    from sqlalchemy import func
    from sqlalchemy import select as sa_select
    from sqlmodel import Session, col, select

    from notify.channels import parse_channel
    from storage.db import get_engine
    from storage.deliveries import idempotency_key
    from storage.models import (
        Article,
        ArticleRevision,
        Assessment,
        Delivery,
        Digest,
        PolicyChange,
        PolicyChangeEvidence,
        Signal,
    )

    problems = report.problems
    # channel key -> the path its receiver sees ("/chan-a")
    channels = {
        c.key: "/" + c.apprise_url.rsplit("/", 1)[-1] for c in map(parse_channel, channel_urls)
    }
    engine = get_engine(db_url)

    def dupes(session: Session, *columns: Any) -> int:
        # Core select: sqlmodel's typed overloads do not take a variable column list.
        stmt = sa_select(*columns, func.count()).group_by(*columns).having(func.count() > 1)
        return len(session.execute(stmt).all())

    try:
        with Session(engine) as session:
            articles = session.exec(select(Article)).all()
            urls = [a.url for a in articles]
            report.articles_stored = len(urls)
            if set(urls) != expected_urls:
                missing, extra = expected_urls - set(urls), set(urls) - expected_urls
                problems.append(f"articles: {len(missing)} missing, {len(extra)} unexpected")
            if len(urls) != len(set(urls)):
                problems.append("articles: a URL is stored twice")
            revisions = Counter(r.article_id for r in session.exec(select(ArticleRevision)))
            if any(revisions[a.id or 0] != 1 for a in articles):
                problems.append("revisions: an unchanged article has other than one revision")
            assessments = session.exec(select(Assessment)).all()
            report.assessments = len(assessments)
            per_article = Counter(a.article_id for a in assessments)
            if any(per_article[a.id or 0] != 1 for a in articles):
                problems.append("assessments: an article has other than one assessment")
            for what, columns in (
                ("signals", (col(Signal.assessment_id), col(Signal.dimension))),
                (
                    "policy change evidence",
                    (
                        col(PolicyChangeEvidence.policy_change_id),
                        col(PolicyChangeEvidence.signal_id),
                    ),
                ),
                ("deliveries", (col(Delivery.digest_id), col(Delivery.channel_key))),
            ):
                if dupes(session, *columns):
                    problems.append(f"{what}: duplicated rows")
            open_changes = select(PolicyChange).where(col(PolicyChange.status) == "open")
            keys = Counter(
                (p.dimension, str(p.direction), p.baseline_version)
                for p in session.exec(open_changes)
            )
            if any(n > 1 for n in keys.values()):
                problems.append("policy changes: two open changes for one dimension/direction")
            report.digests = len(session.exec(select(Digest)).all())
            deliveries = session.exec(select(Delivery)).all()
            report.deliveries = len(deliveries)
            # idempotency key -> (the channel's path, digest id, status) of its delivery row
            rows = {
                idempotency_key(d): (
                    channels.get(d.channel_key, d.channel_key),
                    d.digest_id,
                    str(d.status),
                )
                for d in deliveries
            }
            report.deliveries_resent = sum(
                (d.last_error or "").startswith("re-sent after an interrupted send")
                for d in deliveries
            )
    finally:
        engine.dispose()
    check_deliveries(report, rows, inbox)


def check_deliveries(
    report: ReplayReport, rows: dict[str, tuple[str, int, str]], inbox: Inbox
) -> None:
    """Compare the receiver's log with the delivery rows (idempotency key -> channel path,
    digest id, status), by the report's ``uncertain_policy``."""
    problems = report.problems
    resend = report.uncertain_policy == "resend"
    report.posts_received = len(inbox.raw)
    report.duplicates_absorbed = inbox.absorbed
    report.messages_processed = len(inbox.processed)
    report.posts_without_key = sum(post.key is None for post in inbox.raw)
    if report.posts_without_key:
        problems.append(f"deliveries: {report.posts_without_key} POSTs without Idempotency-Key")
    statuses = Counter(status for _channel, _digest, status in rows.values())
    report.uncertain = statuses.pop("sending", 0)
    statuses.pop("sent", None)
    if statuses:
        problems.append(f"deliveries left unsent after the last round: {dict(statuses)}")
    if resend and report.uncertain:
        problems.append(f"deliveries: {report.uncertain} left uncertain on resend channels")

    processed: Counter[tuple[str, int]] = Counter()
    for post in inbox.processed:
        row = rows.get(post.key or "")
        if row is None:
            problems.append(f"deliveries: a message on {post.channel} matches no delivery row")
            continue
        channel, digest_id, _status = row
        if post.channel != channel:
            problems.append(f"deliveries: digest {digest_id} for {channel} came on {post.channel}")
        processed[(channel, digest_id)] += 1
    report.duplicate_posts = sum(n - 1 for n in processed.values() if n > 1)
    if report.duplicate_posts:
        problems.append(
            f"deliveries: {report.duplicate_posts} (channel, digest) pairs processed more than "
            "once: their repeats carried another key"
        )
    if not resend and inbox.absorbed:
        problems.append(f"deliveries: {inbox.absorbed} digests sent twice to a hold channel")
    arrived = {key for key in (post.key for post in inbox.processed) if key is not None}
    report.lost_posts = sum(
        1 for key, (_c, _d, status) in rows.items() if status == "sent" and key not in arrived
    )
    if report.lost_posts:
        problems.append(f"deliveries: {report.lost_posts} recorded as sent but never received")
    report.uncertain_arrived = sum(
        1 for key, (_c, _d, status) in rows.items() if status == "sending" and key in arrived
    )
    if report.problems:
        report.delivery_semantics = "violated (see problems)"
    elif resend:
        report.delivery_semantics = (
            f"exactly once at the receiver: {report.posts_received} POSTs, "
            f"{report.duplicates_absorbed} repeats absorbed by the idempotency key"
        )
    elif report.uncertain:
        report.delivery_semantics = (
            f"at most once: {report.uncertain} delivery rows left 'sending' (uncertain, for an "
            f"operator), {report.uncertain_arrived} of which had in fact arrived"
        )
    else:
        report.delivery_semantics = "exactly once"


def worker(sources_file: Path, baseline_file: Path) -> int:
    """One monitor pass and one digest, as ``tradewatch run`` does, without Prefect."""
    from sqlmodel import Session

    from classify.baseline import load_baseline
    from storage.db import get_engine
    from tradewatch.digest import build_content, default_window, publish
    from tradewatch.pipeline import check_source, open_pipeline
    from tradewatch.settings import load_settings
    from tradewatch.sources_config import load_sources

    settings = load_settings()
    config = load_sources(sources_file)
    with open_pipeline(settings, baseline_file=baseline_file) as ctx:
        for source in config.enabled():
            check_source(ctx, source)
    baseline = load_baseline(baseline_file)
    engine = get_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            start, end = default_window(session, kind="scheduled")
            content = build_content(session, baseline=baseline, start=start, end=end)
            outcome = publish(
                session,
                content=content,
                kind="scheduled",
                directory=settings.resolved_digest_dir,
                urls=settings.notify_urls,
                templates_dir=settings.templates_dir,
            )
    finally:
        engine.dispose()
    print(f"worker: digest {outcome.digest_id} sent {outcome.sent} failed {outcome.failed}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crash-replay", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help="(internal) one direct round")
    parser.add_argument("--sources", type=Path, help="(with --worker) sources file")
    parser.add_argument("--baseline", type=Path, help="(with --worker) baseline file")
    parser.add_argument("kills", type=int, nargs="?", default=10, help="rounds to kill")
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.DIRECT.value)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--uncertain",
        choices=["resend", "hold"],
        default="resend",
        help="both channels' tw-uncertain policy (default: resend)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the database and logs here")
    args = parser.parse_args(argv)
    if args.worker:
        if args.sources is None or args.baseline is None:
            parser.error("--worker needs --sources and --baseline")
        return worker(args.sources, args.baseline)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    report = replay(
        kills=args.kills,
        mode=Mode(args.mode),
        workdir=args.workdir,
        seed=args.seed,
        uncertain=args.uncertain,
    )
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
