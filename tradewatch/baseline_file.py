"""Editing the hand-maintained baseline YAML in place, so an accepted change touches only itself.

Analysts keep comments, key order, quoting, anchors and block styles in the baseline file. A
round-trip edit (ruamel.yaml) changes ``version``, ``as_of`` and the fields of one dimension
that differ between the old and the new ``Baseline``; everything else is re-emitted as read.
The caller still validates the result and compares it with the model it meant to write: this
module only promises to try, and raises ``InPlaceEditError`` when the file's shape rules an
in-place edit out.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import textwrap
from collections.abc import Mapping
from enum import Enum
from typing import Any, cast

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.util import load_yaml_guess_indent

from classify.baseline import Baseline, Citation, Dimension

__all__ = ["InPlaceEditError", "edit_baseline_text", "generated_header", "strip_generated_header"]

# Long prose is folded so that lines end near this column.
WRAP_AT = 100
# Wide enough that ruamel never re-wraps a scalar it merely re-emits (cue regexes, URLs).
_NO_WRAP = 1 << 20

_GENERATED_HEADER = re.compile(
    r"# Policy baseline .*, written by `tradewatch review accept \d+` on .* UTC\.\n"
    r"(# Earlier versions are stored in the database \(table baseline_version\)\.\n)?"
)


class InPlaceEditError(Exception):
    """The file cannot be edited in place; ``str()`` says why."""


def generated_header(version: str, *, change_id: int, at: dt.datetime) -> str:
    """The two comment lines that say which accept wrote the file."""
    return (
        f"# Policy baseline {version}, written by `tradewatch review accept {change_id}` on "
        f"{at:%Y-%m-%d %H:%M} UTC.\n"
        "# Earlier versions are stored in the database (table baseline_version).\n"
    )


def strip_generated_header(text: str) -> str:
    """``text`` without the header(s) an earlier accept put on top; other comments stay."""
    while match := _GENERATED_HEADER.match(text):
        text = text[match.end() :]
    return text


def edit_baseline_text(text: str, *, old: Baseline, new: Baseline, dimension_id: str) -> str:
    """``text`` (a file holding ``old``) edited to hold ``new``, which may differ from ``old``
    only in ``version``, ``as_of`` and dimension ``dimension_id``."""
    yaml, document, indent = _load(text)
    old_dim, new_dim = old.dimension(dimension_id), new.dimension(dimension_id)
    if old_dim is None or new_dim is None:
        raise InPlaceEditError(f"dimension {dimension_id!r} is not in both baselines")
    _set(document, "version", new.version)
    _set(document, "as_of", new.as_of)
    node = _dimension_node(document, dimension_id)
    _edit_dimension(node, old_dim, new_dim, indent=indent)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _load(text: str) -> tuple[YAML, CommentedMap, int]:
    """The round-trip parser set up to emit like ``text``, the document, its mapping indent."""
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = _NO_WRAP
    # The parser does not record indentation: guess it from the text so re-emitted blocks
    # look like their neighbours (e.g. `  - id:` under `dimensions:`, or `- id:`).
    # It parses the text itself; its `yaml=` argument is missing from older 0.18 releases.
    _, sequence_indent, offset = load_yaml_guess_indent(text)
    sequence_indent = sequence_indent or 2
    offset = offset or 0
    mapping_indent = max(sequence_indent - offset, 2)
    yaml.indent(mapping=mapping_indent, sequence=sequence_indent, offset=offset)
    document = yaml.load(text)
    if not isinstance(document, CommentedMap):
        raise InPlaceEditError("the file is not a YAML mapping")
    return yaml, document, mapping_indent


def _dimension_node(document: CommentedMap, dimension_id: str) -> CommentedMap:
    dimensions = document.get("dimensions")
    if not isinstance(dimensions, CommentedSeq):
        raise InPlaceEditError("`dimensions` is not a list")
    found = [d for d in dimensions if isinstance(d, CommentedMap) and d.get("id") == dimension_id]
    if len(found) != 1:
        raise InPlaceEditError(f"dimension {dimension_id!r} is not one mapping in `dimensions`")
    node = found[0]
    if _shared(node):
        raise InPlaceEditError(f"dimension {dimension_id!r} is shared through a YAML anchor")
    return node


def _edit_dimension(node: CommentedMap, old: Dimension, new: Dimension, *, indent: int) -> None:
    for field in Dimension.model_fields:
        before, after = getattr(old, field), getattr(new, field)
        if before == after:
            continue  # untouched fields keep their text, comments and style
        if field == "citations":
            node[field] = _edit_citations(node.get(field), before, after)
        elif after is None:
            node.pop(field, None)
        elif field == "statement":
            _set(node, field, _folded(str(after), column=_value_column(node, field, indent)))
        elif field in node:
            _set(node, field, after)
        else:
            node.insert(_insert_position(node, field), field, _plain(after))


def _insert_position(node: CommentedMap, field: str) -> int:
    """A new key goes beside its sibling (``loosened_``/``tightened_stance``) or the statement."""
    keys = list(node)
    for neighbour in ("loosened_stance", "tightened_stance", "statement"):
        if neighbour != field and neighbour in keys:
            return keys.index(neighbour) + 1
    return len(keys)


def _edit_citations(
    node: object, old: tuple[Citation, ...], new: tuple[Citation, ...]
) -> CommentedSeq:
    """New citations in front, the earlier ones edited in place (their comments stay)."""
    added = len(new) - len(old)
    if not isinstance(node, CommentedSeq) or len(node) != len(old) or added < 0:
        raise InPlaceEditError("`citations` does not list the loaded citations")
    # A list shared through an anchor is copied: editing it would edit its other users too.
    seq = CommentedSeq(node) if _shared(node) else node
    for index, (before, after) in enumerate(zip(old, new[added:], strict=True)):
        seq[index] = _edit_citation(seq[index], before, after)
    for index, citation in enumerate(new[:added]):
        seq.insert(index, _citation_map(citation))
    return seq


def _edit_citation(item: object, old: Citation, new: Citation) -> CommentedMap:
    if not isinstance(item, CommentedMap):
        raise InPlaceEditError("a citation is not a mapping")
    changed = {
        f: getattr(new, f) for f in Citation.model_fields if getattr(old, f) != getattr(new, f)
    }
    if not changed:
        return item
    # An anchored citation is referenced elsewhere (``*name`` or ``<<: *name``): the edited
    # copy merges it, so the anchor stays where the analyst defined it and keeps its content.
    target = _merging(item) if _shared(item) else item
    for field, value in changed.items():
        if value is None:
            target.pop(field, None)
        else:
            _set(target, field, value)
    return target


def _citation_map(citation: Citation) -> CommentedMap:
    return CommentedMap(
        (field, _plain(value))
        for field in Citation.model_fields
        if (value := getattr(citation, field)) is not None
    )


def _merging(base: CommentedMap) -> CommentedMap:
    """An empty mapping with ``<<: base``; ruamel.yaml changed this (internal) API during 0.18.

    Checked with 0.18.6 (pairs), 0.18.17 and 0.19.1 (``MergeValue``). Should it change again,
    the caller's read-back check fails and the file is rewritten whole, with a warning.
    """
    out = CommentedMap()
    try:
        from ruamel.yaml.mergevalue import MergeValue
    except ImportError:  # older 0.18 releases: (position, mapping) pairs
        out.add_yaml_merge([(0, base)])
    else:
        value = MergeValue()
        value.merge_pos = 0
        value.append(base)
        out.add_yaml_merge(value)
    return out


def _shared(node: object) -> bool:
    return isinstance(node, CommentedBase) and node.yaml_anchor() is not None


def _set(node: CommentedMap, key: str, value: object) -> None:
    """Assign in place (key order and the key's comments stay), in the old value's quoting."""
    old, new = node.get(key), _plain(value)
    if isinstance(new, dt.date) and isinstance(old, str):
        new = new.isoformat()  # a date the analyst wrote as text stays text
    quoted = isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString)
    if quoted and isinstance(new, str) and not isinstance(new, FoldedScalarString):
        new = type(old)(new)
    node[key] = new


def _plain(value: object) -> Any:
    """A model value as YAML data: enums as their value, URLs as text, dates as dates."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date | str | int | float | bool):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return str(value)  # HttpUrl


def _value_column(node: CommentedMap, key: str, indent: int) -> int:
    """Where a block scalar's lines start: the key's column plus one mapping indent."""
    try:
        _, column = node.lc.key(key)
    except (AttributeError, KeyError, TypeError):
        column = indent * 2  # a dimension in a top-level list; only the wrap width depends on it
    return int(column) + indent


def _folded(text: str, *, column: int) -> str:
    """``text`` as a folded block wrapped near ``WRAP_AT``, if folding reads it back unchanged.

    Folding turns each line break into one space, so only single-spaced, single-line text
    folds safely; anything else (and short text) is left to ruamel's choice of style.
    """
    width = max(WRAP_AT - column, 40)
    if len(text) <= width or text != " ".join(text.split()):
        return text
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    if " ".join(lines) != text:
        return text
    positions, at = [], -1
    for line in lines[:-1]:
        at += len(line) + 1  # the space after this line
        positions.append(at)
    # ruamel breaks a folded scalar at these spaces; `fold_pos` is an untyped slot.
    folded: Any = FoldedScalarString(text)
    folded.fold_pos = positions
    return cast(str, folded)
