"""The write path, end to end: every row it leaves behind, on SQLite and PostgreSQL.

A realistic run of articles goes through the public storage functions the way the pipeline
(``tradewatch.pipeline._store``), reclassification and review use them: new articles, revisions
and unchanged re-reads, reprints clustering across outlets (monitored and backfilled, with the
in-process cluster index dropped midway as a new process would find it), departures and
confirmations on several dimensions and both directions, corroboration by other outlets, an
article older than the evidence, a dismissed change superseded by a new one, two assessments in
one transaction, and re-assessment under a new baseline version. Then every table is dumped and
held against ``data/write_path.json``, ids included, along with what each call returned. A
seeded random run of the same operations (``data/write_path_random.json``) reaches the
combinations a story told by hand does not.

Those files are the behaviour of the write path as it was before its rows were written with
fewer round trips (they were written by that code); a change to them is a change of behaviour.
To regenerate them deliberately: ``TRADEWATCH_WRITE_GOLDEN=1 pytest
tests/storage/test_write_path.py -k sqlite``, then read the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

import storage.models  # noqa: F401  # registers every table to dump
from classify.types import Assessment as Verdict
from classify.types import DimensionSignal, Direction, Evidence, Relation
from storage.articles import ArticleOutcome, UpsertResult, upsert_article
from storage.assessments import (
    RecordResult,
    add_assessment,
    assessment_exists,
    record_assessment,
)
from storage.baselines import ensure_baseline_version
from storage.clusters import assign_cluster, drop_indexes
from storage.enums import PolicyChangeStatus
from storage.models import PolicyChange
from tests.storage.helpers import CLASSIFIER, at, baseline, independent_outlets, parsed

GOLDEN_DIR = Path(__file__).parent / "data"
# Not the write path's to decide: the clock's, and the baseline model's (classify) rendering
# of a baseline document and its hash.
UNCONTROLLED = {
    ("baseline_version", "loaded_at"),
    ("baseline_version", "document"),
    ("baseline_version", "content_hash"),
}

_WORDS = """
trading companies provincial customs sinuiju dandong licence contract export import seafood
textiles mineral coal cargo bridge river ministry notice traders border market currency yuan
dollar quota plan factory fisheries manager official inspection truck train ferry warehouse
permit fee smuggling crackdown sanction broker partner delegation shipment harbour nampo rason
hyesan ryanggang north hamgyong province county ward inspector state security bureau price rice
corn fuel cement steel wage salary worker enterprise
"""
_VOCABULARY = _WORDS.split()


def story(seed: int, words: int = 90) -> str:
    """A paragraph of its own: two stories share next to no five-word run."""
    rng = random.Random(seed)  # noqa: S311  # test data, not secrets
    sentences: list[str] = []
    left = words
    while left > 0:
        n = min(left, rng.randint(8, 15))
        sentences.append(" ".join(rng.choice(_VOCABULARY) for _ in range(n)).capitalize() + ".")
        left -= n
    return "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))


def trimmed(text: str, share: float = 0.7) -> str:
    """A reprint cut down to its first ``share`` of words (still the same story)."""
    words = text.split(" ")
    return " ".join(words[: int(len(words) * share)])


def signal(
    dimension: str,
    direction: Direction = Direction.LOOSENING,
    relation: Relation = Relation.DEPARTS,
    *,
    reported: str | None = "delegating to provinces",
    score: float = 2.0,
) -> DimensionSignal:
    return DimensionSignal(
        dimension=dimension,
        direction=direction,
        relation=relation,
        evidence=(
            Evidence(sentence=f"A sentence on {dimension}.", cues=(dimension, direction.value)),
            Evidence(sentence="Traders confirmed it.", cues=()),
        ),
        score=score,
        baseline_stance="centralizing" if dimension == "trade_authority" else None,
        reported_stance=reported,
    )


def verdict(
    *signals: DimensionSignal,
    version: str = "2025.1",
    confidence: float = 0.7,
    classifier: str = CLASSIFIER,
) -> Verdict:
    departs = any(s.relation is Relation.DEPARTS for s in signals)
    return Verdict(
        relevant=bool(signals),
        direction=signals[0].direction if signals else Direction.NONE,
        relation=Relation.DEPARTS
        if departs
        else (Relation.CONFIRMS if signals else Relation.UNRELATED),
        confidence=confidence,
        baseline_version=version,
        classifier_version=classifier,
        signals=signals,
    )


@dataclass
class Run:
    """Drives the storage functions and logs what each call returned."""

    session: Session
    log: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, UpsertResult] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def store(
        self,
        name: str,
        text: str,
        hours: float,
        assessment: Verdict,
        *,
        title: str | None = None,
        published: datetime | None = None,
        undated: bool = False,
        historical: bool = False,
        authors: tuple[str, ...] = ("Staff reporter",),
        commit: bool = True,
    ) -> UpsertResult:
        """What ``_store`` does: upsert, cluster, assess unless known, commit. Published an
        hour before it is stored unless ``published`` or ``undated`` says otherwise."""
        outlet, _, n = name.partition("/")
        if published is None and not undated:
            published = at(hours) - timedelta(hours=1)
        item = parsed(
            url=f"https://example.org/{outlet}/{n}",
            title=title or f"Story {name}",
            text=text,
            published=published,
        )
        item = dataclasses.replace(item, authors=authors)
        session = self.session
        upserted = upsert_article(
            session=session,
            parsed=item,
            source=outlet,
            outlet=outlet.upper(),
            historical=historical,
            now=at(hours),
        )
        article, revision = upserted.article, upserted.revision
        assert article.id is not None and revision.id is not None
        key = assign_cluster(session=session, article=article)
        entry: dict[str, Any] = {
            "step": name,
            "outcome": upserted.outcome.value,
            "article": article.id,
            "revision": [revision.id, revision.revision_no],
            "cluster": key,
        }
        if upserted.outcome is ArticleOutcome.NEW or not assessment_exists(
            session=session,
            article_id=article.id,
            content_hash=revision.content_hash,
            baseline_version=assessment.baseline_version,
            classifier_version=assessment.classifier_version,
        ):
            result = add_assessment(
                session=session,
                article=article,
                revision=revision,
                assessment=assessment,
                now=at(hours),
            )
            entry["result"] = _result(result)
        if commit:
            session.commit()
        self.log.append(entry)
        self.stored[name] = upserted
        self.texts[name] = text
        return upserted

    def reassess(self, name: str, hours: float, assessment: Verdict) -> RecordResult:
        """What reclassification does: record (idempotently), mark it historical, commit."""
        upserted = self.stored[name]
        result = record_assessment(
            session=self.session,
            article=upserted.article,
            revision=upserted.revision,
            assessment=assessment,
            now=at(hours),
        )
        self.log.append({"step": f"reassess {name}", "result": _result(result)})
        if result.created:
            result.assessment.historical = True
            self.session.add(result.assessment)
        self.session.commit()
        return result


def _result(result: RecordResult) -> dict[str, Any]:
    return {
        "created": result.created,
        "assessment": result.assessment.id,
        "changes": [
            [c.id, c.dimension, c.direction.value, c.corroboration, list(c.outlets)]
            for c in result.policy_changes
        ],
    }


def scenario(session: Session) -> list[dict[str, Any]]:
    ensure_baseline_version(session=session, baseline=baseline())
    session.commit()
    run = Run(session)
    wire, own, third, fourth = story(1), story(2), story(3), story(4)
    trade = signal("trade_authority")
    # Opens trade_authority/loosening; a confirmation rides along.
    run.store(
        "dnk/1",
        wire,
        0,
        verdict(trade, signal("border_customs", Direction.TIGHTENING, Relation.CONFIRMS)),
    )
    # A reprint by another outlet: same story, so no more corroboration.
    run.store("nkn/1", trimmed(wire), 1, verdict(trade))
    # An own report: +1; opens fx_earning/tightening (no stance anywhere) and
    # trade_authority/tightening (the baseline's own wording for the stance).
    run.store(
        "yon/1",
        own,
        2,
        verdict(
            signal("trade_authority", reported=None),
            signal("fx_earning", Direction.TIGHTENING, reported=None),
            signal("trade_authority", Direction.TIGHTENING, reported=None),
        ),
    )
    # Two signals towards one change; an outlet with two stories (full count).
    run.store("dnk/2", third, 3, verdict(trade, trade, confidence=0.9))
    run.store("nkn/2", story(5), 4, verdict())  # unrelated: no signals
    run.store(
        "yon/2",
        story(6),
        5,
        verdict(signal("markets", Direction.REAFFIRMATION, Relation.CONFIRMS), confidence=0.4),
    )
    # A revision: asked whether assessed, assessed again; the article keeps its cluster.
    run.store("dnk/1", wire + "\n\nUpdate: the ministry confirmed the notice.", 6, verdict(trade))
    # Read again unchanged: no new assessment.
    run.store("nkn/1", trimmed(wire), 7, verdict(trade))
    # An article first seen before the evidence (a clock behind): the full count.
    run.store("kcn/1", fourth, -5, verdict(trade), undated=True, authors=())
    # Seen again with a publication date and authors it lacked.
    run.store("kcn/1", fourth, 8, verdict(trade), published=at(-30))
    # A new process: the cluster index starts empty. A backfilled reprint of yon/1, placed
    # by its publication date, corroborates fx_earning without counting.
    drop_indexes()
    run.store(
        "38n/1",
        trimmed(own, 0.8),
        9,
        verdict(signal("fx_earning", Direction.TIGHTENING)),
        published=at(2.5),
        historical=True,
    )
    # A backfilled article from years before: its own story, outside every window.
    run.store(
        "38n/2",
        trimmed(own, 0.9),
        10,
        verdict(signal("fx_earning", Direction.TIGHTENING)),
        published=at(-24 * 900),
        historical=True,
    )
    # A dismissed change is no longer corroborated: the next departure opens another.
    session.connection().execute(
        update(PolicyChange)
        .where(col(PolicyChange.dimension) == "fx_earning")
        .values(status=PolicyChangeStatus.DISMISSED, review_note="not a policy")
    )
    session.commit()
    run.store(
        "dnk/3",
        story(7),
        11,
        verdict(
            signal("fx_earning", Direction.TIGHTENING),
            signal("border_customs"),
            signal("markets"),
            signal("trade_authority", Direction.TIGHTENING),
            trade,
        ),
    )
    # No words at all: its own cluster, never a candidate.
    run.store("rod/1", "", 12, verdict(trade, signal("markets")), title="***")
    # Two articles in one transaction, the second a reprint of the first.
    run.store("nkn/3", story(8), 13, verdict(signal("markets")), commit=False)
    run.store("yon/3", trimmed(story(8)), 13.5, verdict(signal("markets"), trade))
    # The same story a month later: outside the window, a cluster of its own.
    run.store("kcn/2", story(8), 24 * 30, verdict(signal("markets")))
    # A new baseline version: re-assessment opens its own changes; repeated, nothing new.
    ensure_baseline_version(
        session=session, baseline=baseline("2025.2", "Trade licences are still recentralized.")
    )
    session.commit()
    tightening = signal("trade_authority", Direction.TIGHTENING, reported=None)
    later = verdict(trade, tightening, version="2025.2")
    run.reassess("dnk/1", 24 * 31, later)
    run.reassess("nkn/1", 24 * 31 + 1, verdict(trade, version="2025.2"))
    run.reassess("dnk/1", 24 * 31 + 2, later)
    run.reassess("38n/1", 24 * 31 + 3, verdict(signal("markets"), version="2025.2"))
    return run.log


_DEPARTURES = (
    ("trade_authority", Direction.LOOSENING),
    ("trade_authority", Direction.TIGHTENING),
    ("fx_earning", Direction.TIGHTENING),
    ("markets", Direction.LOOSENING),
    ("border_customs", Direction.LOOSENING),
)


def random_scenario(session: Session) -> list[dict[str, Any]]:
    """A seeded jumble of everything ``scenario`` does, to reach the combinations it does
    not: clocks behind the evidence, outlets with several stories, reprints of reprints,
    revisions of clustered articles, repeated signals, dismissals between corroborations."""
    rng = random.Random(1)  # noqa: S311  # test data; this seed reaches every branch of the count
    for version in ("2025.1", "2025.2"):
        ensure_baseline_version(session=session, baseline=baseline(version, f"Statement {version}"))
    session.commit()
    run = Run(session)

    def random_verdict(version: str = "2025.1", classifier: str = CLASSIFIER) -> Verdict:
        signals = []
        for _ in range(rng.choice([0, 1, 1, 2, 3, 4])):
            dimension, direction = rng.choice(_DEPARTURES)
            relation = rng.choice([Relation.DEPARTS, Relation.DEPARTS, Relation.CONFIRMS])
            reported = rng.choice([None, "delegating to provinces", "held centrally"])
            score = rng.choice([1.0, 2.5])
            signals.append(signal(dimension, direction, relation, reported=reported, score=score))
        confidence = rng.choice([0.4, 0.7, 0.9])
        return verdict(*signals, version=version, confidence=confidence, classifier=classifier)

    stories: list[str] = []
    names: list[str] = []
    counts: dict[str, int] = {}
    hours = 0.0
    for step in range(90):
        hours += rng.choice([0.5, 1.0, 2.0, 6.0, 24.0])
        when = hours - rng.choice([0.0, 0.0, 0.0, 3.0, 30.0])  # now and then a clock behind
        roll = rng.random()
        if roll < 0.55 or not names:
            outlet = rng.choice(["dnk", "nkn", "yon", "kcn", "38n"])
            counts[outlet] = counts.get(outlet, 0) + 1
            name = f"{outlet}/{counts[outlet]}"
            if stories and rng.random() < 0.4:
                text = trimmed(rng.choice(stories[-6:]), rng.choice([0.6, 0.8, 1.0]))
            else:
                text = story(1000 + step, rng.choice([8, 40, 90]))
            stories.append(text)
            run.store(
                name,
                text,
                when,
                random_verdict(),
                published=at(when - rng.choice([1.0, 10.0, 24.0 * 20])),
                historical=rng.random() < 0.25,
                commit=rng.random() < 0.85,
            )
            names.append(name)
        elif roll < 0.72:
            name = rng.choice(names)
            run.store(name, f"{run.texts[name]}\n\nUpdate {step}.", when, random_verdict())
        elif roll < 0.82:
            name = rng.choice(names)
            run.store(name, run.texts[name], when, random_verdict())
        elif roll < 0.95:
            version = rng.choice(["2025.1", "2025.2"])
            classifier = rng.choice([CLASSIFIER, "rules-2"])
            run.reassess(rng.choice(names), when, random_verdict(version, classifier))
        else:
            table = SQLModel.metadata.tables["policy_change"]
            open_ids = session.connection().execute(
                sa_select(table.c.id).where(table.c.status == PolicyChangeStatus.OPEN)
            )
            ids = sorted(open_ids.scalars())
            if ids:
                session.connection().execute(
                    update(table)
                    .where(table.c.id == rng.choice(ids))
                    .values(status=PolicyChangeStatus.DISMISSED)
                )
            session.commit()
        if rng.random() < 0.1:
            drop_indexes()  # as a new process finds it
    session.commit()
    return run.log


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        assert value.tzinfo is not None
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by primary key, as JSON values."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in SQLModel.metadata.sorted_tables:
        stmt = sa_select(table).order_by(*table.primary_key.columns)
        tables[table.name] = [
            {
                name: _plain(value)
                for name, value in row._mapping.items()
                if (table.name, name) not in UNCONTROLLED
            }
            for row in session.connection().execute(stmt)
        ]
    return tables


def golden_text(got: dict[str, Any]) -> str:
    """``got`` as JSON with one call or row per line, so that a diff shows what changed."""

    def line(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def rows(values: list[Any]) -> str:
        return "[\n" + ",\n".join(f"  {line(v)}" for v in values) + "\n ]" if values else "[]"

    tables = ",\n".join(f" {line(name)}: {rows(got['tables'][name])}" for name in got["tables"])
    return f'{{"calls": {rows(got["calls"])},\n"tables": {{\n{tables}\n}}}}\n'


def check_against_golden(session: Session, name: str, log: list[dict[str, Any]]) -> dict[str, Any]:
    """The calls' results and every table, held against ``data/<name>.json``; the dump."""
    golden = GOLDEN_DIR / f"{name}.json"
    session.expire_all()
    got: dict[str, Any] = {"calls": log, "tables": dump(session)}
    if os.environ.get("TRADEWATCH_WRITE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(golden_text(got))
    expected = json.loads(golden.read_text())
    # Round-tripped through JSON, as the expectation was.
    got = cast(dict[str, Any], json.loads(json.dumps(got)))
    assert got["calls"] == expected["calls"]
    for table, rows in expected["tables"].items():
        assert got["tables"][table] == rows, table
    assert got == expected
    for change in session.exec(select(PolicyChange)):
        assert change.id is not None
        full = independent_outlets(session=session, change_id=change.id)
        assert change.corroboration == len(full), change
    return got


def test_the_write_path_leaves_exactly_the_expected_rows(session: Session) -> None:
    drop_indexes()
    got = check_against_golden(session, "write_path", scenario(session))

    # What the rows amount to, in words.
    changes = {
        (c.baseline_version, c.dimension, c.direction.value, c.status.value): c
        for c in session.exec(select(PolicyChange))
    }
    loosening = changes[("2025.1", "trade_authority", "loosening", "open")]
    assert loosening.outlets == ["DNK", "NKN", "YON", "KCN", "ROD"]
    assert loosening.corroboration == 4  # NKN's only story there is a reprint of DNK's
    clusters = {row["url"].split("org/")[1]: row["cluster_key"] for row in got["tables"]["article"]}
    assert clusters["nkn/1"] == clusters["dnk/1"] == "a1"
    assert clusters["38n/1"] == clusters["yon/1"] != clusters["38n/2"]
    assert clusters["yon/3"] == clusters["nkn/3"] != clusters["kcn/2"]


def test_a_random_run_leaves_exactly_the_expected_rows(session: Session) -> None:
    drop_indexes()
    got = check_against_golden(session, "write_path_random", random_scenario(session))
    # The run reaches what it is for.
    outcomes = {call.get("outcome") for call in got["calls"]}
    assert {"new", "changed", "unchanged"} <= outcomes
    assert {row["status"] for row in got["tables"]["policy_change"]} == {"open", "dismissed"}
    keys = [row["cluster_key"] for row in got["tables"]["article"]]
    assert len(set(keys)) < len(keys)  # some reprints joined a cluster
