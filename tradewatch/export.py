"""Writing exported article rows as JSON Lines or CSV, streaming."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

EXPORT_FIELDS = (
    "url",
    "outlet",
    "title",
    "published_at",
    "text",
    "relevant",
    "direction",
    "relation",
    "dimensions",
)


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({k: row.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    count = 0
    for row in rows:
        flat = {k: row.get(k) for k in EXPORT_FIELDS}
        dims = flat["dimensions"]
        flat["dimensions"] = ";".join(dims) if isinstance(dims, list) else dims
        writer.writerow(flat)
        count += 1
    return count
