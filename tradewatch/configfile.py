"""Loading YAML configuration files into pydantic models with messages a user can act on.

Every problem in a file is collected and reported at once, each line naming the file, the
field path and what was expected, e.g.::

    config/sources.yaml: sources[3].parser: unknown parser "dailnk"; known: 38north, dailynk
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(Exception):
    """A configuration file is missing, unreadable or invalid. ``str()`` is the full report."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe_validation_error(exc: ValidationError, *, show_input: bool = True) -> list[str]:
    """One line per error: ``field.path: message (got <value>)``.

    ``show_input=False`` leaves the offending value out: environment settings may be secrets.
    """
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        got = err.get("input")
        suffix = ""
        if show_input and err["type"] != "missing" and isinstance(got, str | int | float | bool):
            suffix = f" (got {got!r})"
        lines.append(f"{_field_path(loc)}: {msg}{suffix}")
    return lines


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> object:
    """Parse a YAML file, turning I/O and syntax errors into a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found; pass an existing file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot read file: {exc}"]) from None
    try:
        # libyaml's loader when PyYAML was built with it: ~8x faster on the baseline, which
        # every process loads at start-up.
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        # Reader errors (bad bytes) have no .problem and a multi-line str(): keep one line.
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ConfigError(path, [f"{where}invalid YAML: {problem}"]) from None


def load_model(path: Path, model: type[ModelT]) -> ModelT:
    """Read ``path`` as YAML and validate it as ``model``; all problems in one ConfigError."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(path, ["expected a mapping at the top level of the file"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, describe_validation_error(exc)) from None
