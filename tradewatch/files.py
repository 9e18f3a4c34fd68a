"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8): a reader sees the old file or the whole new one.

    The text goes to a temporary file beside ``path``, is synced, and then renamed over it,
    so a run killed mid-write, or a disk that fills up, leaves no truncated file under the
    final name (a digest directory is read by people and synced to shared folders). A
    failed write removes its temporary file and raises.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # Created as open() would create the file (0666 less the umask), unlike mkstemp's 0600.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
