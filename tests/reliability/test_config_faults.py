"""A malformed sources or baseline file: ``tradewatch run`` exits 2 with a one-line reason
naming the file and field, and nothing runs (no database, no request, no Prefect)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tradewatch.settings import DEFAULT_BASELINE_FILE
from tradewatch.sitehost import SampleSite

GOOD_SOURCE = {"name": "desk", "kind": "feed", "url": "http://127.0.0.1:1/feed.xml"}

BAD_SOURCES: dict[str, tuple[str, str]] = {
    # case: (file text, what the one line must say)
    "yaml-syntax": ("sources:\n  - name: desk\n    kind: [feed\n", "invalid YAML"),
    "unknown-parser": (
        yaml.safe_dump({"sources": [{**GOOD_SOURCE, "parser": "dailnk"}]}),
        'sources[0].parser: unknown parser "dailnk"; known:',
    ),
    "missing-url": (
        yaml.safe_dump({"sources": [{"name": "desk", "kind": "feed", "parser": "generic"}]}),
        "sources[0].url: Field required",
    ),
    "file-scheme": (
        yaml.safe_dump(
            {"sources": [{**GOOD_SOURCE, "url": "file:///etc/passwd", "parser": "generic"}]}
        ),
        "sources[0].url: expected an http:// or https:// URL",
    ),
    "not-a-mapping": ("- just\n- a list\n", "expected a mapping at the top level"),
    "empty": ("", "expected a mapping at the top level"),
}
BINARY = "\x00\x01\x02garbage"


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRADEWATCH_DATA_DIR": str(tmp_path / "data"),
        "TRADEWATCH_DATABASE_URL": "",
        "TRADEWATCH_NOTIFY_URLS": "",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("TRADEWATCH_DATABASE_URL")
    return subprocess.run(
        [sys.executable, "-m", "tradewatch.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def assert_rejected(result: subprocess.CompletedProcess[str], path: Path, says: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"tradewatch: {path}: "), lines[0]
    assert says in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "case",
    [
        *sorted(BAD_SOURCES),
        "binary",
    ],
)
def test_malformed_sources_file_exits_2_and_runs_nothing(
    tmp_path: Path, site: SampleSite, case: str
) -> None:
    text, says = BAD_SOURCES.get(case, (BINARY, "invalid YAML"))
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(text.encode("utf-8"))

    result = run_cli(tmp_path, "run", "--sources", str(bad))

    assert_rejected(result, bad, says)
    assert not (tmp_path / "data").exists()  # no database, no digest directory
    assert site.requests == []


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (lambda doc: doc.pop("version"), "version: Field required"),
        (
            lambda doc: doc["dimensions"][0]["cues"].update(loosening=["(unclosed"]),
            "dimensions[0].cues.loosening",
        ),
        (lambda doc: doc["dimensions"][0].update(trend="sideways"), "dimensions[0].trend"),
    ],
    ids=["no-version", "bad-regex", "bad-trend"],
)
def test_malformed_baseline_exits_2_and_runs_nothing(
    tmp_path: Path, site: SampleSite, mutate: object, says: str
) -> None:
    doc = yaml.safe_load(DEFAULT_BASELINE_FILE.read_text(encoding="utf-8"))
    mutate(doc)  # type: ignore[operator]
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {"sources": [{**GOOD_SOURCE, "url": site.url("feed.xml"), "parser": "dailynk"}]}
        ),
        encoding="utf-8",
    )

    result = run_cli(tmp_path, "run", "--sources", str(sources), "--baseline", str(baseline))

    assert_rejected(result, baseline, says)
    assert not (tmp_path / "data").exists()
    assert site.requests == []
