"""Generated notes for property tests and the fuzz benchmark (``benchmarks/fuzz.py``).

Notes are built from the project's own vocabularies (``patterns/lexicons/*.yaml`` drug
names, routes, sites, laterality, units and multipliers, and ``patterns/cues/cues.yaml``
phrases) plus numbers, section headings, punctuation and awkward characters, so the
generated text reaches the pipeline's matchers and their edge cases. Every function takes
a ``random.Random``: Hypothesis drives it through ``st.randoms()``, the benchmark through
a seed.
"""

from __future__ import annotations

import numbers
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from auditor.patterns import DEFAULT_PATTERNS_DIR

HEADINGS = ["Assessment:", "Plan:", "Procedure:", "CC:", "Dx:", "Meds given:", "A/P:", "MAR:"]
GLUE = ["pt", "patient", "today", "was", "the", "in", "at", "and", "not", "no", "will", "plan"]
GLUE += ["refused", "declined", "held", "home meds:", "last week", "x1", "@", "#", "10:40"]
SEPARATORS = [" ", " ", " ", ", ", ". ", ".\n", "\n", "\n\n", "; ", " - ", "\t", "/", "("]
ODD = ["\u00a0", "\r\n", "\r", "\x00", "\ufeff", "µ", "“", "”", "’", "é", "\u2028", "🙂"]
ODD += ["\x0c", "\u200b", "x" * 300, " " * 40, "=" * 60]


@dataclass(frozen=True)
class Vocabulary:
    """Word lists by kind (each a tuple of surface forms)."""

    words: dict[str, tuple[str, ...]]

    def pick(self, rng: random.Random, kind: str) -> str:
        """A random form of ``kind`` (``number`` makes one up)."""
        if kind == "number":
            return _number(rng)
        return rng.choice(self.words[kind])


def _number(rng: random.Random) -> str:
    forms = [
        str(rng.randint(0, 10)),
        str(rng.randint(10, 5000)),
        f"{rng.randint(0, 9)}.{rng.randint(0, 99)}",
        f"{rng.randint(1, 9)},{rng.randint(0, 999):03d}",
        f"{rng.randint(1, 99)}/{rng.randint(1, 99)}",
        f"{rng.randint(1, 99)}%",
        "0",
        "1e3",
    ]
    return rng.choice(forms)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The word lists of the bundled pattern files."""
    root = DEFAULT_PATTERNS_DIR

    def load(name: str) -> dict[str, Any]:
        return yaml.safe_load((root / name).read_text(encoding="utf-8"))

    drugs, routes = load("lexicons/drugs.yaml"), load("lexicons/routes.yaml")
    sites, units = load("lexicons/sites.yaml"), load("lexicons/units.yaml")
    cues = load("cues/cues.yaml")["phrases"]
    words = {
        "drug": [name for d in drugs["drugs"] for name in d["names"]],
        "route": [form for forms in routes["routes"].values() for form in forms],
        "site": [form for forms in sites["sites"].values() for form in forms]
        + list(sites["combined"])
        + list(sites["other_body_parts"]),
        "side": [form for forms in sites["laterality"].values() for form in forms],
        "unit": [form for forms in units["units"].values() for form in forms]
        + list(units["multipliers"]),
        "admin": cues["ADMIN"],
        "cue": [phrase for phrases in cues.values() for phrase in phrases],
        "heading": HEADINGS,
        "glue": GLUE,
        "odd": ODD,
    }
    return Vocabulary({k: tuple(str(w) for w in v) for k, v in words.items()})


# One documented dose, in the order notes usually write it; parts are dropped at random.
TEMPLATE = ["drug", "number", "unit", "route", "admin", "cue", "side", "site", "cue", "glue", "cue"]
KINDS = [
    "drug",
    "route",
    "site",
    "side",
    "unit",
    "number",
    "admin",
    "cue",
    "heading",
    "glue",
    "odd",
]


def _sentence(rng: random.Random, vocab: Vocabulary) -> str:
    """A template sentence (parts dropped) or a bag of random vocabulary words."""
    templated = rng.random() < 0.7
    if templated:
        kinds = [k for k in TEMPLATE if rng.random() < 0.85]
    else:
        kinds = [rng.choice(KINDS) for _ in range(rng.randint(1, 12))]
    parts = []
    for kind in kinds:
        word = vocab.pick(rng, kind)
        parts.append(word.upper() if rng.random() < 0.1 else word)
        parts.append(" " if templated and rng.random() < 0.8 else rng.choice(SEPARATORS))
    return "".join(parts) + rng.choice([". ", ".\n", "\n", "\n\n"])


def compose_note(rng: random.Random, max_sentences: int = 8) -> str:
    """A note of 0 to ``max_sentences`` generated sentences (see module docstring)."""
    vocab = vocabulary()
    return "".join(_sentence(rng, vocab) for _ in range(rng.randint(0, max_sentences)))


def random_unicode(rng: random.Random, max_chars: int = 300) -> str:
    """Arbitrary text: code points from the whole Unicode range (surrogates excluded)."""
    chars = []
    for _ in range(rng.randint(0, max_chars)):
        point = rng.choice([rng.randint(0, 0x7F), rng.randint(0, 0xFFFF), rng.randint(0, 0x10FFFF)])
        chars.append(chr(point) if not 0xD800 <= point <= 0xDFFF else "?")
    return "".join(chars)


def offset_violations(text: str, events: list[dict[str, Any]]) -> int:
    """Events whose anchor lies outside ``text`` or whose ``medication_text`` (when not
    null) differs from ``text[start:end]``."""
    bad = 0
    for event in events:
        start, end = event["start"], event["end"]
        integers = isinstance(start, numbers.Integral) and isinstance(end, numbers.Integral)
        inside = integers and 0 <= start <= end <= len(text)
        same = event["medication_text"] is None or (
            inside and text[start:end] == event["medication_text"]
        )
        bad += not (inside and same)
    return bad
