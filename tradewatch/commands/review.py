"""``tradewatch review``: list open policy changes with evidence; accept or dismiss one."""

from __future__ import annotations

import argparse
from pathlib import Path

from tradewatch.settings import Settings
from tradewatch.usage import stored_session


def _baseline_path(args: argparse.Namespace, settings: Settings) -> Path:
    given = getattr(args, "baseline", None)  # SUPPRESS: unset unless given
    return Path(given) if given else settings.baseline_file


def cmd_review_list(args: argparse.Namespace, settings: Settings) -> int:
    from classify.baseline import load_baseline
    from tradewatch.review import changes_for_review

    baseline = load_baseline(_baseline_path(args, settings))
    with stored_session(settings) as session:
        changes = changes_for_review(session=session, baseline=baseline)
    if not changes:
        print("no open policy changes")
        return 0
    for item in changes:
        c = item.change
        print(
            f"[{c.id}] {item.dimension_title} ({c.dimension}): {item.baseline_stance} -> "
            f"{c.to_stance or c.direction} ({c.direction}); reported by {c.corroboration} "
            f"outlet(s): {', '.join(c.outlets)}; confidence {c.confidence:.2f}; first seen "
            f"{c.first_seen_at:%Y-%m-%d}; baseline {c.baseline_version}"
        )
        if item.baseline_statement:
            print(f"    baseline: {' '.join(item.baseline_statement.split())}")
        for report in item.reports[: args.limit]:
            art = report.article
            when = f"{art.published_at:%Y-%m-%d}" if art.published_at else "undated"
            flag = " (historical)" if art.historical else ""
            print(f"    - {art.outlet}, {when}{flag}: {art.title}")
            print(f"      {art.url}")
            for sentence, cues in report.sentences:
                print(f"      > {sentence}" + (f"  [cues: {', '.join(cues)}]" if cues else ""))
        hidden = len(item.reports) - args.limit
        if hidden > 0:
            print(f"    ... and {hidden} more report(s)")
    print(
        "accept: tradewatch review accept ID [--note TEXT]; "
        "dismiss: tradewatch review dismiss ID --reason TEXT"
    )
    return 0


def cmd_review_accept(args: argparse.Namespace, settings: Settings) -> int:
    from storage.review import ReviewError
    from tradewatch.review import accept_change
    from tradewatch.usage import UsageError

    with stored_session(settings) as session:
        try:
            result = accept_change(
                session=session,
                change_id=args.id,
                baseline_path=_baseline_path(args, settings),
                note=args.note,
            )
        except ReviewError as exc:
            raise UsageError(str(exc)) from None
    print(
        f"accepted policy change {result.change_id}: baseline {result.previous_version} -> "
        f"{result.version}, written to {result.path}"
    )
    return 0


def cmd_review_dismiss(args: argparse.Namespace, settings: Settings) -> int:
    from storage.review import ReviewError
    from tradewatch.review import dismiss_change
    from tradewatch.usage import UsageError

    with stored_session(settings) as session:
        try:
            change = dismiss_change(session=session, change_id=args.id, reason=args.reason)
        except ReviewError as exc:
            raise UsageError(str(exc)) from None
    print(f"dismissed policy change {change.id} ({change.dimension}) as a false alarm")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``review`` (list), ``review accept`` and ``review dismiss``."""
    text = "list open policy changes with their evidence; accept or dismiss one"
    p = sub.add_parser("review", help=text, description=text)
    p.set_defaults(func=cmd_review_list)
    p.add_argument(
        "--baseline",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="baseline file (default $TRADEWATCH_BASELINE_FILE)",
    )
    p.add_argument("--limit", type=int, default=5, help="reports shown per change (default 5)")
    actions = p.add_subparsers(dest="review_command", metavar="ACTION")
    text = "policy moved: write the next baseline version from this change"
    acc = actions.add_parser("accept", help=text, description=text)
    acc.add_argument("id", type=int, help="policy change id (from `tradewatch review`)")
    acc.add_argument("--note", help="the new statement for the dimension (default: generated)")
    acc.add_argument(
        "--baseline", metavar="FILE", default=argparse.SUPPRESS, help="baseline file to update"
    )
    acc.set_defaults(func=cmd_review_accept)
    text = "false alarm: close this change without touching the baseline"
    dis = actions.add_parser("dismiss", help=text, description=text)
    dis.add_argument("id", type=int, help="policy change id")
    dis.add_argument("--reason", required=True, help="why it is not a policy change")
    dis.set_defaults(func=cmd_review_dismiss)
