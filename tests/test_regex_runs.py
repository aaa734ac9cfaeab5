"""Rule regexes searched through a whole note stay linear on long runs (issue 12): the
guarded, possessive openings of ``setting.yaml`` and ``procedural.yaml`` (round 19, helper
debt19) find exactly what their old forms found, on generated strings, and take
milliseconds where the old forms took 15-60 s on 20 kB of blank lines, spaces or dashes;
``patterns.run_problem`` refuses the old forms at load."""

from __future__ import annotations

import random
import re
import time

import pytest

from auditor.patterns import SEARCHED_FILES, load_pattern_file, run_problem
from auditor.procedural import FLAGS

# a line start not tried after a blank line of at most two characters (setting.yaml note_rules)
LINE_GUARD = r"^(?<!\n\n)(?<!\n\s\n)(?<!\n\s\s\n)"

# (file, the rewritten opening as the file holds it, the old opening): the old form of each
# rule holding a rewritten opening is its current text with the old opening put back (rules
# found by their text, not their index: other rules may be added meanwhile)
REWRITES = [
    ("setting/setting.yaml", r"(?i)\A\W*", r"(?i)^\W*"),  # reading.title.page_header
    (  # reading.title.short_first_sentence
        "setting/setting.yaml",
        r"(?<![ \t])(?!(?<=[^ \t][^\s.:!?])[^\s.:!?])"
        r"[ \t]*+((?:[^\s.:!?]++[ \t]++){0,3}[^\s.:!?]++)",
        r"[ \t]*((?:[^\s.:!?]++[ \t]++){0,3}[^\s.:!?]+)",
    ),
    (  # reading.title.leading_words
        "setting/setting.yaml",
        r"(?<![^\w&/'-])(?<![^\w&/'-][&/'-])(?!(?<=[&/'-])[\w&/'-])\W*+(",
        r"\W*(",
    ),
    (  # reading.written_column.field
        "setting/setting.yaml",
        r"|(?!(?<=[|;\t])\t)(?!(?<=[|;\t][ \t])\t)[|;\t][ \t]*+|",
        r"|[|;\t][ \t]*+|",
    ),
    (  # note_rules (an emergency department named after a dash, bar, colon...)
        "setting/setting.yaml",
        r"(?:" + LINE_GUARD + r"|(?<![-–—|:(/])(?<![-–—|:(/]\W)[-–—|:(/])\W*+",
        r"(?:^|[-–—|:(/][ \t]*)\W*",
    ),
    ("setting/setting.yaml", r"(?:" + LINE_GUARD + r"|,)\s*+", r"(?:^|,)\s*"),  # HX condition
    # note_rules (title, heading, text), later_sections, other_sections
    ("setting/setting.yaml", LINE_GUARD + r"\W*+", r"^\W*"),
    ("context/procedural.yaml", LINE_GUARD + r"[\s,]*+", r"^[\s,]*"),  # stress_test
    ("context/procedural.yaml", r"(?<!\s)\s*+(", r"\s*("),  # reading.title
    ("context/procedural.yaml", r"\A\s*", r"^\s*"),  # reading.list_number
]

# characters that make runs, and the words of the rules themselves
RUN_CHARACTERS = list("\n\n\n   \t\t--:,;(/&'.!?)|—=aAxZ1") + ["\r\n"]
RUNS = {
    "spaces": " ",
    "tabs": "\t",
    "newlines": "\n",
    "blank lines": "\n ",
    "dashes": "-",
    "dash space": "- ",
    "letters": "a",
    "capitals": "A",
}


def _strings(data, path=()):
    """``(key path, string)`` of every string of a parsed rule file."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, (*path, i))
    elif isinstance(data, str):
        yield path, data


def _with_names(pattern: str, setting: dict) -> str:
    """``written_column.field`` with its ``<names>``, as ``auditor.setting`` builds it."""
    written = setting["reading"]["written_column"]
    names = sorted(
        (
            re.escape(n).replace("_", written["field_name_join"])
            for n in setting["columns"]
            if len(n) >= written["field_name_min"]
        ),
        key=len,
        reverse=True,
    )
    return pattern.replace("<names>", "|".join(names))


def _pairs() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    """``(where, new, old)`` for every rule holding a rewritten opening (the ``reading``
    regexes compiled as written, the rules multi-line and case-insensitively)."""
    out = []
    for name, new, old in REWRITES:
        data = load_pattern_file(name)
        found = [(path, s) for path, s in _strings(data) if new in s]
        assert found, f"{name}: the rewritten opening {new!r} is gone"
        for path, pattern in found:
            pattern = _with_names(pattern, data) if "<names>" in pattern else pattern
            flags = 0 if "reading" in path else FLAGS
            where = f"{name}:{'.'.join(map(str, path))}"
            out.append(
                (where, re.compile(pattern, flags), re.compile(pattern.replace(new, old), flags))
            )
    return out


def _sample(rng: random.Random, words: list[str]) -> str:
    """A string of runs, rule words and short sentences."""
    out = []
    for _ in range(rng.randint(0, 25)):
        r = rng.random()
        if r < 0.55:
            out.append(rng.choice(RUN_CHARACTERS) * rng.choice((1, 1, 1, 2, 3, 5)))
        elif r < 0.9 and words:
            word = rng.choice(words)
            out.append(rng.choice((word, word.upper(), word.capitalize())))
        else:
            out.append(
                " ".join(rng.choice(("ab", "c", "Word", "d.", "E:", "x!")) for _ in range(5))
                + rng.choice((". X", ".  y", ". ", "."))
            )
    return "".join(out)


def _found(regex: re.Pattern[str], text: str) -> list:
    matches = [(m.span(), m.groups()) for m in regex.finditer(text)]
    first = regex.match(text)
    return [matches, first and (first.span(), first.groups())]


@pytest.mark.parametrize("where,new,old", _pairs(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_rewritten_rule_finds_what_its_old_form_found(where, new, old):
    """The same matches (spans and groups), searched from the start as the audit searches
    them (``finditer``, ``search``, ``match``), on 1,500 generated strings."""
    rng = random.Random(where)
    words = re.findall(r"[A-Za-z][A-Za-z' &-]{0,30}[A-Za-z]", old.pattern)
    for _ in range(1500):
        text = _sample(rng, words)
        assert _found(new, text) == _found(old, text), repr(text)


@pytest.mark.parametrize("where,new,old", _pairs(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_rewritten_rule_is_linear_on_long_runs(where, new, old):
    """20 kB of each run: the old forms took 15-60 s on the worst of them."""
    for run in RUNS.values():
        text = run * (20_000 // len(run))
        start = time.perf_counter()
        for _ in new.finditer(text):
            pass
        assert time.perf_counter() - start < 2.0, where


@pytest.mark.parametrize(
    "pattern,refused",
    [
        (r"^\W*course\s*:", True),  # every line start of blank lines rescans them
        (r"\W*(\w+)", True),  # every start inside a run
        (r"\s+(?:was|were)", True),
        (r"\W*+(\w+)", True),  # possessive but not guarded: still every start
        (r"(?:^|,)\s*HX", True),
        (r"[-:(]\W*emergency", True),  # a dash run: each dash starts the run again
        (r"[|;\t][ \t]*+name", True),  # a tab run likewise
        (LINE_GUARD + r"\W*+course\s*:", False),
        (r"(?<![ \t])[ \t]*+(\w+)\.", False),
        (r"\A\W*page", False),  # the start of the text only
        (r"^[ \t]*(?:d|r):", False),  # a run without line breaks holds one line start
        (r"(?:^|\n|,)[ \t]*([A-Za-z]+:)", False),  # the opening character is no blank
        (r"\bvisit\W{0,3}home", False),  # a word boundary, a bounded run
        (r"[-:][ \t]*emergency", False),
    ],
)
def test_an_opening_run_that_a_search_rescans_is_refused(pattern, refused):
    assert (run_problem(pattern) is not None) == refused


def test_every_rewritten_rule_is_compared():
    assert len(_pairs()) >= 18


def test_the_searched_files_pass_the_run_check():
    """Loading checks them (``patterns.validate_file``); listed here so that a new searched
    file is added on purpose."""
    assert SEARCHED_FILES == {"setting/setting.yaml", "context/procedural.yaml"}
