"""The words that let a clause skip a pattern must cover every form the pattern matches.

``DENIAL_AFTER_WORDS`` gates ``DENIAL_AFTER`` (a clause with none of the words is not
searched), so a form added to the pattern without a word here would be skipped silently.
The pattern's language is finite; the test spells out every string it matches.
"""

from __future__ import annotations

import importlib
from itertools import product
from typing import Any

from classify.lexicon import DENIAL_AFTER, DENIAL_AFTER_WORDS

# The regular-expression parser Python compiles with (no type stubs ship for it).
sre_parser: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")


def _spelled(items: Any) -> list[str]:
    """Every string a parsed finite pattern matches (raises on what is not finite)."""
    out = [""]
    for op, arg in items:
        if op is sre_constants.LITERAL:
            options = [chr(arg)]
        elif op is sre_constants.AT:  # \b: matches no character
            options = [""]
        elif op is sre_constants.SUBPATTERN:
            options = _spelled(arg[3])
        elif op is sre_constants.BRANCH:
            options = [s for branch in arg[1] for s in _spelled(branch)]
        elif op is sre_constants.IN:
            options = []
            for kind, value in arg:
                if kind is sre_constants.LITERAL:
                    options.append(chr(value))
                elif kind is sre_constants.RANGE:
                    options.extend(chr(c) for c in range(value[0], value[1] + 1))
                else:
                    raise ValueError(f"character set item {kind} is not spelled out")
        elif op is sre_constants.MAX_REPEAT or op is sre_constants.MIN_REPEAT:
            low, high, sub = arg
            if high is sre_constants.MAXREPEAT:
                raise ValueError("an unbounded repeat has no finite spelling")
            inner = _spelled(sub)
            options = ["".join(p) for n in range(low, high + 1) for p in product(inner, repeat=n)]
        else:
            raise ValueError(f"{op} is not spelled out")
        out = [a + b for a in out for b in options]
    return out


def test_every_form_of_a_denial_has_a_prefilter_word() -> None:
    forms = _spelled(sre_parser.parse(DENIAL_AFTER.pattern))
    assert len(forms) > 100  # the parse spelled the pattern out, not a fragment of it
    assert all(DENIAL_AFTER.fullmatch(form) for form in forms)
    missing = [form for form in forms if not any(word in form for word in DENIAL_AFTER_WORDS)]
    assert not missing, f"add a word of these to DENIAL_AFTER_WORDS: {missing}"
