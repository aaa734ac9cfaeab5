"""Find, load, validate and hash the rule files in ``patterns/``.

Rules are data: every lexicon, cue list, ConText rule, section rule, the 96372
requirement spec and the billing tables (drug-to-HCPCS table, claim rules, payer profiles)
is a versioned file under one folder. This module is the only place that
reads them; the pipeline builder and the requirement engine receive plain dicts.

Where the folder is: ``patterns/`` of the source checkout, which is also built into the
wheel as ``auditor/default_patterns/`` (``pyproject.toml``), so an installed package has
its rules; ``$AUDITOR_PATTERNS`` or a ``patterns_dir`` argument name another folder.

Each file is read once: its bytes are hashed (``Patterns.sha256`` covers exactly the bytes
the run parsed), parsed, checked against the JSON Schema of its kind
(``patterns/schemas/``, see its README) and its regular expressions compiled and checked
for nested repetition (and, in the files searched through whole notes, for an opening run
that a search would rescan: ``run_problem``). Every failure is a ``PatternError``
(E100-E103) naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import re._constants as sre_constants
import re._parser as sre_parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import PatternError, PatternKindError, PatternRegexError, PatternSchemaError
from .requirements import validate_spec

CHECKOUT_PATTERNS_DIR = Path(__file__).resolve().parent.parent / "patterns"
PACKAGED_PATTERNS_DIR = Path(__file__).resolve().parent / "default_patterns"  # in a wheel
DEFAULT_PATTERNS_DIR = (
    PACKAGED_PATTERNS_DIR if PACKAGED_PATTERNS_DIR.is_dir() else CHECKOUT_PATTERNS_DIR
)
SCHEMAS_DIR = "schemas"

# the pattern files an audit reads (relative to the patterns folder); each file's shape (its
# required keys, their types, regexes that must compile) is checked by its schema
# (``schema_candidates``) and only there; the loader checks across files and keys
AUDIT_FILES: tuple[str, ...] = (
    "lexicons/drugs.yaml",
    "lexicons/routes.yaml",
    "lexicons/sites.yaml",
    "lexicons/units.yaml",
    "sections/sentences.yaml",
    "cues/cues.yaml",
    "extraction/extraction.yaml",
    "context/context_rules.json",
    "sections/section_rules.json",
    "requirements/cpt_96372.v1.yaml",
    "requirements/cpt_96372.v2.yaml",
    "setting/setting.yaml",
    "context/procedural.yaml",
    "billing/hcpcs_drugs.yaml",
    "billing/claim_rules.yaml",
    "billing/payers.yaml",
    "reader/reader.yaml",
    "tokenizer/tokenizer.yaml",
)

# reader/reader.yaml regexes and the groups their readers take (``records.ReaderRules``)
READER_GROUPS: dict[tuple[str, ...], int] = {
    ("line_numbers", "pattern"): 1,
    ("ocr", "rn_for_m"): 2,
    ("ocr", "broken_word"): 2,
    ("dotted_leader",): 2,
}

# the requirement spec used when none is named (contract version 2)
DEFAULT_SPEC = "cpt_96372.v2"
# settings every payer profile must end with (after ``extends``; their values are checked
# per profile by schemas/billing/payers.schema.yaml)
PAYER_SETTINGS = (
    "split_dose_admin_units",
    "repeat_admin_modifiers",
    "repeat_admin_billing",
    "unclassified_units_per_administration",
    "default_claim_type",
)


def resolve_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the patterns folder: ``path``, else ``$AUDITOR_PATTERNS``, else the bundled one.

    Raises:
        PatternError: the folder does not exist.
    """
    chosen = Path(path or os.environ.get("AUDITOR_PATTERNS") or DEFAULT_PATTERNS_DIR)
    if not chosen.is_dir():
        raise PatternError(f"patterns folder not found: {chosen}")
    return chosen


def load_patterns(path: str | None = None) -> Patterns:
    """Load (once per process and folder) the validated rule files of ``path`` (a folder,
    else ``$AUDITOR_PATTERNS``, else the bundled one: ``resolve_dir``). The cache is keyed by
    the resolved folder, so ``None`` and the bundled folder's path share one load.

    Raises:
        PatternError: see ``Patterns.load``.
    """
    return _load_folder(resolve_dir(path))


@lru_cache(maxsize=8)
def _load_folder(root: Path) -> Patterns:
    return Patterns.load(root)


load_patterns.cache_clear = _load_folder.cache_clear  # type: ignore[attr-defined]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise PatternError(f"pattern file missing: {path}") from exc
    except OSError as exc:
        raise PatternError(f"pattern file unreadable: {path} ({exc.strerror})") from exc


# libyaml's loader when PyYAML has it (its wheels do): the same safe subset, ten times faster
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    """The mapping a pattern file's bytes hold (JSON for ``.json``, else YAML)."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=YAML_LOADER)
    except UnicodeDecodeError as exc:
        raise PatternError(f"pattern file is not UTF-8: {path} (byte {exc.start})") from exc
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PatternError(f"pattern file is not valid {path.suffix[1:]}: {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PatternError(f"pattern file must hold a mapping at top level: {path}")
    return data


def schema_candidates(name: str) -> list[str]:
    """Schema files that may describe pattern file ``name`` (relative to the patterns
    folder), most specific first: ``schemas/<dir>/<stem>.schema.yaml``, the same without a
    ``.vN`` suffix, then ``schemas/<dir>.schema.yaml``."""
    rel = Path(name)
    stem = rel.with_suffix("")
    out = [f"{SCHEMAS_DIR}/{stem.as_posix()}.schema.yaml"]
    unversioned = re.sub(r"\.v\d+$", "", stem.name)
    if unversioned != stem.name:
        out.append(f"{SCHEMAS_DIR}/{(stem.parent / unversioned).as_posix()}.schema.yaml")
    if rel.parent != Path("."):
        out.append(f"{SCHEMAS_DIR}/{rel.parent.as_posix()}.schema.yaml")
    return out


# --- regular expressions --------------------------------------------------------------------
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` may not be used in a rule file, or None.

    Refused: a pattern that does not compile; a repetition of something that itself
    repeats a variable number of times (``(a+)+``, ``(\\w*x?)*``); a repetition of an
    alternation whose branches start with the same character or may be empty
    (``(a|aa)+``). These are the
    shapes that make a backtracking engine take exponential time on a short token (``^(a+)+$``
    on 35 characters); rewrite them with one quantifier or a possessive/atomic form.

    Allowed inside a repetition: a run of one character class delimited by a required
    character of a disjoint class just after or before it in the same sequence (``(?:\\w+
    ){0,2}``, ``(?:[\\w-]+, )*``, ``(?:\\s+\\w+){0,2}``: up to N words). Each iteration then
    ends at a delimiter that the run cannot take, so a string splits into iterations one way
    only and a failed match backtracks through each run once (linear in the run's length,
    never exponential: ``benchmarks/regex_cost.py`` times such rules on 100 kB adversarial
    lines).
    """
    try:
        re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"does not compile ({exc})"
    return _nested(parsed, 0)


# the most times a repetition may repeat a fixed string made optional inside it
# (``(?:\\w+ (?:and )?){0,2}``): at most 2**N ways to read a match, whatever the input
OPTIONAL_IN_REPEAT_MAX = 4


def _nested(sub: Any, repeated: int) -> str | None:
    """The first problem of parsed ``sub`` (``regex_problem``); ``repeated``: the most times
    an enclosing repetition repeats it (0: none)."""
    for index, (op, av) in enumerate(sub):
        if op in _REPEATS:
            lo, hi, body = av
            if (
                repeated
                and lo != hi
                and not _delimited(sub, index)
                and not (hi == 1 and repeated <= OPTIONAL_IN_REPEAT_MAX and _fixed(body))
            ):
                return "nested repetition (catastrophic backtracking)"
            problem = _nested(body, max(repeated, hi) if hi > 1 else repeated)
            if problem:
                return problem
        elif op is sre_constants.SUBPATTERN:
            problem = _nested(av[-1], repeated)
            if problem:
                return problem
        elif op is sre_constants.BRANCH:
            branches = av[1]
            if repeated:
                firsts = [_first_literal(b) for b in branches]
                known = [f for f in firsts if f is not None]
                if "" in known or len(known) != len(set(known)):
                    return "repeated alternation whose branches start alike (backtracking)"
            for branch in branches:
                problem = _nested(branch, repeated)
                if problem:
                    return problem
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            problem = _nested(av[1], 0)
            if problem:
                return problem
    return None


# zero-width items skipped when looking for a run's delimiter
_ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}
_CATEGORIES = {
    sre_constants.CATEGORY_WORD: r"\w",
    sre_constants.CATEGORY_NOT_WORD: r"\W",
    sre_constants.CATEGORY_SPACE: r"\s",
    sre_constants.CATEGORY_NOT_SPACE: r"\S",
    sre_constants.CATEGORY_DIGIT: r"\d",
    sre_constants.CATEGORY_NOT_DIGIT: r"\D",
}


def _char_class(item: Any) -> str | None:
    """The one-character class (``[...]`` source) parsed item ``item`` matches, or None when
    it is not one character of a class (a group, a repeat, ``.``)."""
    op, av = item
    if op is sre_constants.LITERAL:
        return f"[{re.escape(chr(av))}]"
    if op is sre_constants.NOT_LITERAL:
        return f"[^{re.escape(chr(av))}]"
    if op is not sre_constants.IN:
        return None
    parts = []
    for part_op, part in av:
        if part_op is sre_constants.NEGATE:
            parts.insert(0, "^")
        elif part_op is sre_constants.LITERAL:
            parts.append(re.escape(chr(part)))
        elif part_op is sre_constants.RANGE:
            parts.append(f"{re.escape(chr(part[0]))}-{re.escape(chr(part[1]))}")
        elif part_op is sre_constants.CATEGORY and part in _CATEGORIES:
            parts.append(_CATEGORIES[part])
        else:
            return None
    return f"[{''.join(parts)}]"


def _run_class(item: Any, required: bool) -> str | None:
    """The character class of a run (``\\w+``, ``[a-z]{0,3}``) or, with ``required``, of one
    required character or a run of at least one (the delimiter), else None."""
    op, av = item
    if op in _REPEATS:
        lo, _hi, body = av
        if len(body) != 1 or (required and lo < 1):
            return None
        return _char_class(body[0])
    return _char_class(item)


def _fixed(body: Any) -> bool:
    """Whether parsed ``body`` always matches the same number of characters."""
    low, high = body.getwidth()
    return bool(low == high)


@lru_cache(maxsize=1)
def _bmp() -> str:
    """Every character of the Basic Multilingual Plane but the surrogates: the sample on which
    two character classes are found disjoint (``_disjoint``)."""
    return "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)


@lru_cache(maxsize=256)
def _disjoint(first: str, second: str) -> bool:
    """Whether no character matches both one-character classes (checked case-insensitively,
    the wider reading, over the Basic Multilingual Plane and any other character they
    name)."""
    named = "".join(re.findall(r"[^\x00-\uffff]", first + second))
    # the narrower class is tried at each character, the wider one only where it matched
    narrow, wide = sorted((first, second), key=lambda c: c.startswith("[^") or "\\w" in c)
    both = re.compile(f"{narrow}(?<={wide})", re.IGNORECASE)
    return both.search(_bmp() + named) is None


def _delimited(sub: Any, index: int) -> bool:
    """Whether the run at ``sub[index]`` (a repeat of one character class) has a required
    delimiter of a disjoint class next to it in ``sub`` (zero-width items skipped): after it,
    else before it (``regex_problem``)."""
    run = _run_class(sub[index], False)
    if run is None:
        return False
    for step in (1, -1):
        at = index + step
        while 0 <= at < len(sub) and sub[at][0] in _ZERO_WIDTH:
            at += step
        if 0 <= at < len(sub):
            delimiter = _run_class(sub[at], True)
            if delimiter is not None and _disjoint(run, delimiter):
                return True
    return False


def _first_literal(sub: Any) -> str | None:
    """The first character a branch must match (lowercased), "" for an empty branch, None
    when it is not one literal character."""
    if not len(sub):
        return ""
    for op, av in sub:
        if op is sre_constants.LITERAL:
            return chr(av).lower()
        if op is sre_constants.SUBPATTERN:
            return _first_literal(av[-1])
        return None
    return None


# the pattern files whose rule regexes are searched through a whole note (the setting and
# procedural rules: every position of the note is a possible start), checked for a rescanned
# opening run as well (``run_problem``)
SEARCHED_FILES = frozenset({"setting/setting.yaml", "context/procedural.yaml"})
_UNBOUNDED = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}
_LOOKAROUNDS = {sre_constants.ASSERT, sre_constants.ASSERT_NOT}
_ONE_CHAR = {sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.IN}


def run_problem(pattern: str) -> str | None:
    """Why ``pattern``, searched through a whole note, would take time quadratic in the
    length of a run of characters (spaces, blank lines, dashes), or None.

    Refused: a regex (or one of its alternatives) that opens with an unbounded repeat of one
    character class (``\\W*X``, ``\\s+X``, ``^\\W*X`` where the class holds a line break: ``^``
    is a line start, the rules being compiled multi-line), or with one character followed by
    such a repeat that can take that character too (``[-:(]\\W*X``), unless the repeat is
    possessive (``*+``) and a lookaround (a guard) stands before the opening. A search tries
    every start inside the run and each start rescans the rest of the run: 20 kB of blank
    lines or dashes took 15-60 s per rule (``benchmarks/regex_cost.py``). The guard refuses a
    start whose start just before it, in the same run, was already tried with the same
    outcome (``setting.yaml`` ``note_rules`` says how); the check sees that a guard is there,
    not that it is right: a guarded rewrite is fuzz-checked against the old form
    (``tests/test_regex_runs.py``). ``\\A`` (the note's start) needs no guard. None also when
    the pattern does not compile (``regex_problem`` says so).
    """
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    for items in _openings(list(parsed), 0):
        problem = _opening_problem(items)
        if problem:
            return problem
    return None


def _openings(items: list[Any], depth: int) -> Iterator[list[Any]]:
    """Each way parsed ``items`` may open: a leading group or branch is replaced by each of
    its alternatives followed by the rest (up to a few levels)."""
    for i, (op, av) in enumerate(items):
        if op in _ZERO_WIDTH:
            continue
        rest = items[i + 1 :]
        if depth < 4 and op is sre_constants.BRANCH:
            for branch in av[1]:
                yield from _openings([*items[:i], *branch, *rest], depth + 1)
            return
        if depth < 4 and op is sre_constants.SUBPATTERN:
            yield from _openings([*items[:i], *av[-1], *rest], depth + 1)
            return
        if depth < 4 and op is sre_constants.ATOMIC_GROUP:
            yield from _openings([*items[:i], *av, *rest], depth + 1)
            return
        break
    yield items


def _repeated_class(item: Any) -> str | None:
    """The character class a repeat (greedy, lazy or possessive) of one character repeats,
    else None."""
    _lo, _hi, body = item[1]
    return _char_class(body[0]) if len(body) == 1 else None


def _opening_problem(items: list[Any]) -> str | None:
    """``run_problem`` of one opening sequence (zero-width items first, then the rest)."""
    guarded = False
    anchor = None
    for i, (op, av) in enumerate(items):
        if op is sre_constants.AT:
            anchor = av
            continue
        if op in _LOOKAROUNDS:
            guarded = True
            continue
        if anchor is sre_constants.AT_BEGINNING_STRING:
            return None
        if anchor is sre_constants.AT_BOUNDARY:
            return None  # a word boundary: a start only at a word's edge
        if op in _UNBOUNDED:
            run = _repeated_class(items[i]) if av[1] is sre_constants.MAXREPEAT else None
            if run is None:
                return None
            if anchor is sre_constants.AT_BEGINNING and _disjoint(run, r"[\n]"):
                return None  # a run without line breaks holds one line start
            if op is sre_constants.POSSESSIVE_REPEAT and guarded:
                return None
            return "an opening run that every start inside it rescans (quadratic on long runs)"
        if op in _ONE_CHAR:
            first = _char_class(items[i])
            for op2, av2 in items[i + 1 :]:
                if op2 in _ZERO_WIDTH:
                    continue
                run = _repeated_class((op2, av2)) if op2 in _UNBOUNDED else None
                if run is None:
                    break
                if av2[1] is sre_constants.MAXREPEAT and not _disjoint(first, run):
                    if op2 is sre_constants.POSSESSIVE_REPEAT and guarded:
                        return None
                    return (
                        "an opening character that the run after it also takes: every such "
                        "character of a long run rescans it (quadratic)"
                    )
            return None
        return None
    return None


def _regexes(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """``(key path, pattern)`` of every spaCy token-pattern ``REGEX`` value in ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "REGEX" and isinstance(value, str):
                yield (*path, key), value
            else:
                yield from _regexes(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _regexes(value, (*path, i))


def _where(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("regex", raises=ValueError)
def _regex_format(value: object) -> bool:
    if isinstance(value, str):
        problem = regex_problem(value)
        if problem:
            raise ValueError(problem)
    return True


# the regexes of ``SEARCHED_FILES``: also no opening run that a search rescans
_SEARCHED_FORMATS = jsonschema.FormatChecker(formats=())


@_SEARCHED_FORMATS.checks("regex", raises=ValueError)
def _searched_regex_format(value: object) -> bool:
    if isinstance(value, str):
        problem = regex_problem(value) or run_problem(value)
        if problem:
            raise ValueError(problem)
    return True


def _regex_error(error: Any) -> Any:
    """The refused regex (a ``format: regex`` error) that ``error`` is or, for a value that
    fits no branch of an ``anyOf`` (a regex or a list of them), holds; else None."""
    if error.validator == "format" and error.validator_value == "regex":
        return error
    for sub in error.context or ():
        found = _regex_error(sub)
        if found is not None:
            return found
    return None


def validate_file(name: str, data: dict[str, Any], schema: dict[str, Any]) -> None:
    """Check one parsed pattern file against its kind's schema and its regexes.

    Raises:
        PatternSchemaError: a value has the wrong type or shape (the message names the
            file and the key path, e.g. ``lexicons/sites.yaml: combined.ruoq``).
        PatternRegexError: a regex does not compile or can backtrack catastrophically or,
            in a file searched through whole notes (``SEARCHED_FILES``), opens with a run
            that a search rescans from every start inside it (``run_problem``).
    """
    checker = _SEARCHED_FORMATS if name in SEARCHED_FILES else _FORMATS
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        regex = _regex_error(error)
        if regex is not None:
            raise PatternRegexError(
                f"{name}: {_where(regex.absolute_path)}: regular expression refused: "
                f"{regex.cause or regex.message}"
            )
        where = _where(error.absolute_path)
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        raise PatternSchemaError(f"{name}: {where}: {message}")
    for path, pattern in _regexes(data):
        problem = regex_problem(pattern)
        if problem:
            raise PatternRegexError(
                f"{name}: {_where(path)}: regular expression {pattern[:60]!r} refused: {problem}"
            )


def _schema(root: Path, name: str) -> tuple[str, bytes, dict[str, Any]]:
    """``(relative name, bytes, parsed)`` of the schema of pattern file ``name`` in ``root``
    (the first of ``schema_candidates`` that exists).

    Raises:
        PatternKindError: no schema describes the file.
    """
    for candidate in schema_candidates(name):
        schema_path = root / candidate
        if schema_path.is_file():
            schema_raw = _read(schema_path)
            return candidate, schema_raw, _parse(schema_raw, schema_path)
    raise PatternKindError(
        f"{name}: no schema for this kind of pattern file (looked for "
        f"{', '.join(schema_candidates(name))} in {root}); add one (patterns/schemas/README.md)"
    )


def _load_file(root: Path, name: str, digest: Any = None) -> dict[str, Any]:
    """Read, parse and validate ``root/name`` (bytes read once; fed to ``digest`` when
    given, with the bytes of the schema used)."""
    raw = _read(root / name)
    data = _parse(raw, root / name)
    candidate, schema_raw, schema = _schema(root, name)
    if digest is not None:
        for part in (name, raw, candidate, schema_raw):
            digest.update(part.encode() if isinstance(part, str) else part)
    validate_file(name, data, schema)
    return data


def check_file(name: str, data: dict[str, Any], path: str | os.PathLike[str] | None = None) -> None:
    """Check the parsed (perhaps edited) content of pattern file ``name`` against the schema
    of its kind in the folder ``path`` (``resolve_dir``), as loading it does: the one place
    a pattern file's shape is checked (the compiled-rule builders, such as
    ``setting.SettingRules.from_rules``, take content that passed it).

    Raises:
        PatternError: see ``validate_file`` (E101, E102) and ``_schema`` (E103).
    """
    validate_file(name, data, _schema(resolve_dir(path), name)[2])


MANIFEST = "manifest.json"


def pattern_files(root: Path) -> list[str]:
    """Every pattern file under ``root`` (``.yaml``/``.json``, schemas included, the manifest
    not), as sorted relative names."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".json") and p.is_file() and p.name != MANIFEST
    )


def manifest_entries(root: Path) -> dict[str, dict[str, str]]:
    """``{name: {"version", "sha256"}}`` of every pattern file under ``root``.

    Raises:
        PatternError: a file cannot be parsed.
    """
    out = {}
    for name in pattern_files(root):
        raw = _read(root / name)
        version = _parse(raw, root / name).get("version")
        out[name] = {"version": str(version), "sha256": hashlib.sha256(raw).hexdigest()}
    return out


def manifest_problems(root: Path, recorded: dict[str, dict[str, str]]) -> list[str]:
    """Pattern files that changed without a new ``version`` (compared with ``recorded``,
    the committed ``patterns/manifest.json``), and files missing from or stale in it."""
    problems = []
    current = manifest_entries(root)
    for name, now in current.items():
        before = recorded.get(name)
        if before is None:
            problems.append(f"{name}: not in {MANIFEST} (regenerate it)")
        elif now["sha256"] != before["sha256"] and now["version"] == before["version"]:
            problems.append(f"{name}: changed but its version is still {now['version']}: bump it")
        elif now != before:
            problems.append(f"{name}: version bumped; regenerate {MANIFEST}")
    problems += [
        f"{name}: in {MANIFEST} but gone (regenerate it)"
        for name in recorded
        if name not in current
    ]
    return problems


def load_pattern_file(name: str, path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Load one validated pattern file that is not part of the audit (e.g.
    ``context/condition_rules.json`` for the benchmarks); it does not enter ``sha256``.

    Raises:
        PatternError: see ``Patterns.load``.
    """
    return _load_file(resolve_dir(path), name)


def _check_drugs(drugs: list[dict[str, Any]], path: str) -> None:
    """Check lexicons/drugs.yaml across entries (its schema checks each entry): no name is
    listed under two generics; derive ``im_sc_form`` and ``iv_only`` from ``label_routes``."""
    seen: dict[str, str] = {}
    for i, entry in enumerate(drugs):
        where = f"{path} drugs[{i}]"
        routes = entry["label_routes"]
        # derived once here so that no reader of the lexicon re-derives them
        entry["im_sc_form"] = bool({"IM", "SC"} & set(routes))
        entry["iv_only"] = set(routes) == {"IV"}
        for name in entry["names"]:
            key = str(name).lower()
            if key in seen and seen[key] != entry["generic"]:
                raise PatternError(
                    f"{where}: name {key!r} listed under both {seen[key]!r} "
                    f"and {entry['generic']!r}"
                )
            seen[key] = entry["generic"]


def _check_reader(spec: dict[str, Any], path: str) -> None:
    """Validate reader/reader.yaml beyond its schema: each regex a reader reads groups from
    has at least that many groups (``READER_GROUPS``)."""
    for keys, groups in READER_GROUPS.items():
        value: Any = spec
        for key in keys:
            value = value[key]
        if re.compile(value).groups < groups:
            raise PatternError(f"{path}: {'.'.join(keys)} must have {groups} group(s)")


def _iso_date(value: Any, where: str) -> None:
    if value is None:
        return
    try:
        date.fromisoformat(str(value))
    except ValueError as exc:
        raise PatternError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def _check_hcpcs(table: dict[str, Any], generics: set[str], path: str) -> None:
    """Validate billing/hcpcs_drugs.yaml rows against drugs.yaml, the unit table and each
    other (its schema checks each row's keys and their values)."""
    units = table["units"]
    seen: set[str] = set()
    rows = table["codes"]
    codes = {str(r.get("code")) for r in rows}
    for i, row in enumerate(rows):
        where = f"{path} codes[{i}] ({row.get('code')})"
        if row["code"] in seen:
            raise PatternError(f"{where}: code listed twice")
        seen.add(row["code"])
        for drug in [row["drug"], *row.get("also_drugs", [])]:
            if drug is not None and drug not in generics:
                raise PatternError(
                    f"{where}: drug {drug!r} is not a generic of lexicons/drugs.yaml"
                )
        if row["basis"] != "unclassified":
            if row["drug"] is None or row["unit"] not in units or not row["amount"]:
                raise PatternError(f"{where}: needs a drug, an amount and a unit of 'units'")
        _iso_date(row["effective_date"], where)
        _iso_date(row["end_date"], where)
        if row["replaced_by"] is not None and row["replaced_by"] not in codes:
            raise PatternError(f"{where}: replaced_by {row['replaced_by']!r} is not in the table")
        if row["end_date"] is None and row["replaced_by"] is not None:
            raise PatternError(f"{where}: replaced_by set on a code without end_date")
        for extra in row.get("concentrations", []) + row.get("equivalents", []):
            if extra.get("unit") not in units or not extra.get("amount"):
                raise PatternError(f"{where}: concentration/equivalent needs an amount and a unit")


def resolve_profile(payers: dict[str, Any], name: str) -> dict[str, Any]:
    """Return payer profile ``name`` with its ``extends`` chain applied.

    Raises:
        PatternError: the profile (or one it extends) is unknown, the chain loops, or a
            setting of ``PAYER_SETTINGS`` is missing (each value is checked by the file's
            schema).
    """
    profiles = payers["profiles"]
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current not in profiles:
            known = ", ".join(sorted(profiles))
            raise PatternError(
                f"payer profile {current!r} not found in billing/payers.yaml; profiles are: {known}"
            )
        if current in chain:
            raise PatternError(f"payer profile {name!r}: 'extends' loops through {current!r}")
        chain.append(current)
        current = profiles[current].get("extends")
    merged: dict[str, Any] = {}
    for step in reversed(chain):
        merged.update({k: v for k, v in profiles[step].items() if k != "extends"})
    merged["name"] = name
    for key in PAYER_SETTINGS:
        if key not in merged:
            raise PatternError(f"payer profile {name!r}: missing setting {key!r}")
    return merged


def _check_payers(payers: dict[str, Any]) -> None:
    """Validate billing/payers.yaml: every profile resolves (its schema requires a
    ``default`` profile)."""
    for name in payers["profiles"]:
        resolve_profile(payers, name)


@dataclass(frozen=True)
class Patterns:
    """All rule files of one patterns folder, loaded and validated.

    Attributes:
        root: the folder.
        files: relative file name -> parsed content (dict), one entry per ``AUDIT_FILES``
            name.
        sha256: hash of the bytes parsed (each file's name and bytes, then its schema's,
            in name order): identifies a rule set.
    """

    root: Path
    files: dict[str, dict[str, Any]]
    sha256: str = ""

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Patterns:
        """Load and validate every file named in ``AUDIT_FILES``.

        Raises:
            PatternError: a file is missing or unparsable (E100), lacks a required key or
                fails its schema (E101, naming file and key), holds a refused regular
                expression (E102) or has no schema (E103).
        """
        root = resolve_dir(path)
        files: dict[str, dict[str, Any]] = {}
        digest = hashlib.sha256()
        for name in sorted(AUDIT_FILES):
            files[name] = _load_file(root, name, digest)
        _check_drugs(files["lexicons/drugs.yaml"]["drugs"], "lexicons/drugs.yaml")
        generics = {d["generic"] for d in files["lexicons/drugs.yaml"]["drugs"]}
        _check_hcpcs(files["billing/hcpcs_drugs.yaml"], generics, "billing/hcpcs_drugs.yaml")
        _check_payers(files["billing/payers.yaml"])
        _check_reader(files["reader/reader.yaml"], "reader/reader.yaml")
        for name, data in files.items():
            if name.startswith("requirements/"):
                validate_spec(data, name)
        return cls(root=root, files=files, sha256=digest.hexdigest())

    @property
    def drugs(self) -> dict[str, Any]:
        return self.files["lexicons/drugs.yaml"]

    @property
    def routes(self) -> dict[str, Any]:
        return self.files["lexicons/routes.yaml"]

    @property
    def sites(self) -> dict[str, Any]:
        return self.files["lexicons/sites.yaml"]

    @property
    def units(self) -> dict[str, Any]:
        return self.files["lexicons/units.yaml"]

    @property
    def cues(self) -> dict[str, Any]:
        return self.files["cues/cues.yaml"]

    @property
    def extraction(self) -> dict[str, Any]:
        return self.files["extraction/extraction.yaml"]

    @property
    def context(self) -> dict[str, Any]:
        return self.files["context/context_rules.json"]

    @property
    def sentences(self) -> dict[str, Any]:
        return self.files["sections/sentences.yaml"]

    @property
    def sections(self) -> dict[str, Any]:
        return self.files["sections/section_rules.json"]

    @property
    def requirements(self) -> dict[str, Any]:
        """The default requirement spec (``DEFAULT_SPEC``)."""
        return self.spec(DEFAULT_SPEC)

    def spec(self, spec_id: str | None = None) -> dict[str, Any]:
        """The requirement spec ``spec_id`` (``cpt_96372.v1``, ``cpt_96372.v2``; None: default).

        Raises:
            PatternError: no requirement file has that id (the message lists the known ids).
        """
        specs = {
            data["id"]: data
            for name, data in self.files.items()
            if name.startswith("requirements/")
        }
        chosen = spec_id or DEFAULT_SPEC
        if chosen not in specs:
            raise PatternError(f"unknown requirement spec {chosen!r}; known: {sorted(specs)}")
        return specs[chosen]

    @property
    def setting(self) -> dict[str, Any]:
        return self.files["setting/setting.yaml"]

    @property
    def procedural(self) -> dict[str, Any]:
        return self.files["context/procedural.yaml"]

    @property
    def hcpcs_drugs(self) -> dict[str, Any]:
        return self.files["billing/hcpcs_drugs.yaml"]

    @property
    def claim_rules(self) -> dict[str, Any]:
        return self.files["billing/claim_rules.yaml"]

    @property
    def payers(self) -> dict[str, Any]:
        return self.files["billing/payers.yaml"]

    @property
    def reader(self) -> dict[str, Any]:
        """How note text is read before extraction (``records.reader_rules`` compiles it)."""
        return self.files["reader/reader.yaml"]

    @property
    def tokenizer(self) -> dict[str, Any]:
        """The tokenizer's tweaks (``pipeline.tokenizer.customize_tokenizer`` applies them)."""
        return self.files["tokenizer/tokenizer.yaml"]
