"""word_diff and DigestContent.is_empty."""

from __future__ import annotations

from notify.content import word_diff
from tests.notify.samples import content, empty_content


def test_word_diff_shows_replacement_with_context() -> None:
    old = "The cabinet will approve all trade licences through the ministry this year"
    new = "The cabinet will let provinces approve trade licences through the ministry this year"
    assert word_diff(old, new) == (
        "The cabinet will {+let provinces+} approve [-all-] trade licences through"
    )


def test_word_diff_separates_distant_changes() -> None:
    old = "a b c d e f g h i j k l m n o p"
    new = "a X c d e f g h i j k l m n Y p"
    assert word_diff(old, new) == "a [-b-] {+X+} c d e … l m n [-o-] {+Y+} p"


def test_word_diff_ignores_whitespace_only_changes() -> None:
    assert word_diff("border  trade\nresumed", "border trade resumed") == ""


def test_word_diff_respects_max_chars_and_marks_the_cut() -> None:
    old = " ".join(f"old{i}" for i in range(200))
    new = " ".join(f"new{i}" for i in range(200))
    out = word_diff(old, new, max_chars=60)
    assert len(out) <= 60
    assert out.endswith("…")
    assert out.startswith("[-old0 old1")


def test_word_diff_keeps_short_diffs_whole() -> None:
    assert word_diff("quota", "no quota", max_chars=400) == "{+no+} quota"


def test_is_empty_ignores_source_health() -> None:
    assert empty_content().is_empty
    assert empty_content().source_health  # still has something to report
    assert not content().is_empty
