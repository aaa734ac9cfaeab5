"""Backtracking cost of the rule regexes on adversarial text (issue 12). Not part of the tests.

Run from the repository root with the project's virtual environment::

    .venv/bin/python benchmarks/regex_cost.py [--kb 100] [--files setting/setting.yaml ...]

Every regular expression of the named pattern files (default: ``setting/setting.yaml`` and
``context/procedural.yaml``) is compiled as the auditor compiles it (the rules
case-insensitively and multi-line, ``procedural.FLAGS``; the ``reading`` ones as written) and
run with ``finditer`` over adversarial lines of ``--kb`` kB and of a tenth of that: one
character repeated (letters, spaces, tabs, digits, newlines, a dash), blank lines holding a
space, dashes and spaces, a short word repeated with single spaces (``a``, ``word``,
``word,``), and the words the rules themselves spell, shuffled,
one space apart (each rule's literal prefix then meets its word runs). It prints the slowest
regexes with their time on the long lines and the ratio long/short: about 10 for a regex
linear in the line's length, 100 for a quadratic one, more for a catastrophic one.

Also prints how many of the regexes ``patterns.regex_problem`` and ``patterns.run_problem``
(an opening run that a search rescans) refuse (0 once they load). Round 19 (helper debt19):
the slowest was 260 s (``later_sections`` on 20 kB of newlines; 15 rules over 3 s, sum 565 s
at load ~5); after the rewrites of ``tests/test_regex_runs.py`` see the README, "Time on
notes with long unbroken runs".
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Iterator
from typing import Any

from auditor.patterns import load_pattern_file, regex_problem, run_problem
from auditor.procedural import FLAGS

DEFAULT_FILES = ("setting/setting.yaml", "context/procedural.yaml")
# keys whose strings are words or names, not regular expressions
NOT_REGEX = {
    "version",
    "description",
    "settings",
    "columns",
    "values",
    "setting",
    "scope",
    "name",
    "require",
    "itself_routes",
    "joint_sites",
    "procedural_decisions",
    "procedural_drugs",
    "stress_agents",
    "itself_drugs",
    "airway_drugs",
    "sedatives_in_injection_reports",
}


def regexes(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, str, int]]:
    """``(key path, pattern, flags)`` of every regex string of a parsed rule file."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key not in NOT_REGEX:
                yield from regexes(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from regexes(value, (*path, i))
    elif isinstance(data, str):
        flags = 0 if "reading" in path else FLAGS
        yield ".".join(map(str, path)), data, flags


def adversarial(size: int, words: list[str], seed: int = 0) -> dict[str, str]:
    """Named adversarial lines of ``size`` characters."""
    rng = random.Random(seed)
    spelled = " ".join(rng.choice(words) for _ in range(size // 4 + 1)) if words else ""
    lines = {
        "letters": "a" * size,
        "capitals": "A" * size,
        "spaces": " " * size,
        "tabs": "\t" * size,
        "digits": "1" * size,
        "newlines": "\n" * size,
        "blank lines": "\n " * (size // 2),  # blank lines holding a space
        "blank lines 3": "\n   " * (size // 4),  # blank lines holding three spaces
        "tab lines": "\t\t\t\n" * (size // 4),  # blank lines holding three tabs
        "word spaces": "Site" + " " * size,  # a field name padded with blanks
        "dashes": "-" * size,
        "dash space": "- " * (size // 2),
        "a a a": "a " * (size // 2),
        "word word": "word " * (size // 5),
        "word, word": "word, " * (size // 6),
        "rule words": spelled,
    }
    return {name: text[:size] for name, text in lines.items()}


def time_regex(regex: re.Pattern[str], text: str) -> float:
    start = time.perf_counter()
    for _ in regex.finditer(text):
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=int, default=100, help="length of the long lines, kB")
    parser.add_argument("--files", nargs="+", default=list(DEFAULT_FILES))
    parser.add_argument("--top", type=int, default=10, help="slowest regexes shown")
    args = parser.parse_args()
    found = [
        (f"{name}: {where}", pattern, flags)
        for name in args.files
        for where, pattern, flags in regexes(load_pattern_file(name))
    ]
    refused = [w for w, p, _ in found if regex_problem(p)]
    rescanned = [w for w, p, _ in found if run_problem(p)]
    words = sorted({w for _, p, _ in found for w in re.findall(r"[a-z]{2,}", p)})
    long_lines = adversarial(args.kb * 1000, words)
    short_lines = adversarial(args.kb * 100, words)
    rows = []
    total = time.perf_counter()
    for where, pattern, flags in found:
        regex = re.compile(pattern, flags)
        worst = max(long_lines, key=lambda n: time_regex(regex, long_lines[n]))
        t_long = time_regex(regex, long_lines[worst])
        t_short = max(time_regex(regex, short_lines[worst]), 1e-6)
        rows.append((t_long, t_long / t_short, worst, where))
    rows.sort(reverse=True)
    print(
        f"{len(found)} regexes of {', '.join(args.files)}; {len(refused)} refused by "
        f"regex_problem, {len(rescanned)} by run_problem; {len(long_lines)} adversarial "
        f"lines of {args.kb} kB "
        f"({time.perf_counter() - total:.1f} s in all)"
    )
    print(f"slowest {args.top} (seconds on the worst {args.kb} kB line, ratio to a tenth of it):")
    for t_long, ratio, worst, where in rows[: args.top]:
        print(f"  {t_long:8.4f} s  x{ratio:6.1f}  {worst:11s} {where}")
    print(f"sum over all regexes of the worst line: {sum(r[0] for r in rows):.2f} s")


if __name__ == "__main__":
    main()
