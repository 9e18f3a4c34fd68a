"""Reading classifier input items (JSON Lines: ``id``, ``title``, ``text``, optional ``date``,
``url``, ``outlet``) with errors that say what is wrong with the line."""

from __future__ import annotations

import json

from classify.types import ClassifierInput

_OPTIONAL = ("date", "url", "outlet")


def parse_input_object(obj: object) -> ClassifierInput:
    """Validate one decoded JSON object as a classifier input."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with id, title and text")
    missing = [k for k in ("id", "title", "text") if k not in obj]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    if not isinstance(obj["title"], str) or not isinstance(obj["text"], str):
        raise ValueError("title and text must be strings")
    if not isinstance(obj["id"], str | int):
        raise ValueError("id must be a string or a number")
    extras = {k: str(obj[k]) for k in _OPTIONAL if obj.get(k) is not None}
    return ClassifierInput(id=str(obj["id"]), title=obj["title"], text=obj["text"], **extras)


def parse_input_line(line: str) -> ClassifierInput:
    """Decode and validate one JSON Lines line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    return parse_input_object(obj)
