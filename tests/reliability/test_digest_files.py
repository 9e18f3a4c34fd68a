"""A digest file is whole or absent: a write cut short (a full disk, a kill) leaves no
truncated file under a digest's name, and nothing of the attempt behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tradewatch.files import write_atomically

# Writes the digest's three files with a file-size limit the HTML one crosses: the write
# fails partway (EFBIG), as on a disk that fills up.
_CUT_SHORT = """
import resource, signal, sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
import tradewatch.digest as digest

digest.render_markdown = lambda content, templates_dir: "m" * 1_000
digest.render_html = lambda content, templates_dir: "h" * 400_000
digest.render_text = lambda content, templates_dir: "t" * 1_000
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
try:
    digest.write_files(
        SimpleNamespace(window_end=datetime(2025, 5, 1, 6)),
        directory=Path(sys.argv[1]), kind="daily", templates_dir=None,
    )
except OSError as exc:
    print("failed", exc.errno)
"""


def test_a_digest_write_cut_short_leaves_no_truncated_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CUT_SHORT, str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.startswith("failed"), done.stdout + done.stderr
    files = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    # The Markdown file was complete before the HTML one failed; no other file is there,
    # neither a cut HTML file nor a temporary one.
    assert files == {"digest-daily-20250501T060000.md": "m" * 1_000}


def test_an_atomic_write_replaces_the_file_and_keeps_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "digest.md"
    path.write_text("old", encoding="utf-8")
    write_atomically(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["digest.md"]
    plain = tmp_path / "plain"
    plain.write_text("", encoding="utf-8")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_a_failed_atomic_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "digest.md"
    path.write_text("old", encoding="utf-8")

    def no_rename(self: Path, target: Path) -> Path:
        raise OSError("rename refused")

    monkeypatch.setattr(Path, "replace", no_rename)
    with pytest.raises(OSError, match="rename refused"):
        write_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["digest.md"]
