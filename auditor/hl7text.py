"""HL7 v2 administration segments (``RXA``) pasted as a note's text, read as prose in place.

An immunization (VXU) or pharmacy administration (RAS) message reaches the audit as note text
when a system exports it into a note. Its ``RXA`` segment is a row of ``|`` fields whose meaning
is their position, so ``exports.reading_text`` asks this module to write, without moving a
character (every rewrite fits in the characters it replaces; the rest is blanked):

- RXA-6 and RXA-7 (administered amount and its units, ``0.5|mL^mL^UCUM``, ``250|[iU]^...``)
  as one amount: the unit's code (first component) after the number, a UCUM code mapped to a
  unit word by ``words.hl7_unit_codes`` (``[iU]`` -> IU); the "unknown amount" value 999 is no
  amount (CDC implementation guide) and is left alone;
- RXA-10 (administering provider, an XCN: id^family^given^middle^suffix^prefix^degree) as
  "by <its filled components>" (or the components alone where "by" does not fit), so that the
  giver named there is read as the provider (corpora/README.md: a filled RXA-10 names one);
- RXA-20 (completion status) of ``words.hl7_not_given_status`` (NA not administered, RE
  refused) as the words ``not given`` written over the fields between the provider and the
  status (lot, expiry, manufacturer: not read), so that the drug of the line is read as not
  given (contract section 1; corpora/README.md: an RXA with status NA is a negated
  administration), and the route segment (``RXR``) right after it blanked: the route and site
  of a dose not given are no dose of their own.

Pure text functions, no spaCy. Rules: ``patterns/extraction/extraction.yaml`` (words
``hl7_unit_codes``, ``hl7_not_given_status``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .patterns import load_patterns

_RXA = re.compile(r"(?m)^[ \t]*RXA\|")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_UNKNOWN_AMOUNT = "999"


@dataclass(frozen=True)
class Hl7Rules:
    unit_codes: dict[str, str]
    not_given_status: frozenset[str]


@lru_cache(maxsize=8)
def hl7_rules(patterns_dir: str | None = None) -> Hl7Rules:
    """The ``hl7_*`` words of ``extraction.yaml``."""
    words = load_patterns(patterns_dir).extraction["words"]
    codes = {}
    for entry in words.get("hl7_unit_codes", ()):
        code, _, unit = entry.rpartition("=")
        codes[code.lower()] = unit
    status = frozenset(s.upper() for s in words.get("hl7_not_given_status", ()))
    return Hl7Rules(codes, status)


def _fields(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each ``|`` field of the segment ``text[start:end]``; index 0 is the
    segment name, so index n is RXA-n."""
    out, at = [], start
    while True:
        bar = text.find("|", at, end)
        if bar < 0:
            out.append((at, end))
            return out
        out.append((at, bar))
        at = bar + 1


def _write(chars: list[str], start: int, end: int, words: str) -> None:
    """``words`` left-justified over ``chars[start:end]``, the rest blanked."""
    assert len(words) <= end - start
    chars[start:end] = list(words.ljust(end - start))


def read_hl7(text: str, chars: list[str], patterns_dir: str | None = None) -> None:
    """Rewrite each ``RXA`` segment of ``text`` in ``chars`` (module docstring)."""
    if "RXA|" not in text:
        return
    rules = hl7_rules(patterns_dir)
    for m in _RXA.finditer(text):
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        fields = _fields(text, m.end() - 4, end)
        _amount(text, chars, fields, rules)
        _provider(text, chars, fields)
        _status(text, chars, fields, rules)


def _amount(text: str, chars: list[str], fields: list[tuple[int, int]], rules: Hl7Rules) -> None:
    if len(fields) <= 7:
        return
    (a0, a1), (u0, u1) = fields[6], fields[7]
    amount, units = text[a0:a1].strip(), text[u0:u1]
    if not _NUMBER.match(amount) or amount == _UNKNOWN_AMOUNT or not units.strip():
        return
    code = units.split("^", 1)[0].strip()
    unit = rules.unit_codes.get(code.lower(), code)
    if not unit or len(unit) > u1 - u0 or not re.fullmatch(r"[A-Za-z][\w.]*", unit):
        return
    chars[a1] = " "  # the separator between the amount and its unit
    _write(chars, u0, u1, unit)


def _provider(text: str, chars: list[str], fields: list[tuple[int, int]]) -> None:
    if len(fields) <= 10:
        return
    p0, p1 = fields[10]
    parts = [c.strip() for c in text[p0:p1].split("^")[1:] if c.strip()]
    parts = [c for c in parts if re.search(r"[A-Za-z]", c)]
    if not parts:
        return
    name = " ".join(parts)
    with_by = " by " + name
    # the separator before the field gives one more character, and the coding system that
    # ends RXA-9 ("00^New immunization record^NIP001") more: "...record^ by Lee Ana RN"
    lo = p0 - 1
    n0, n1 = fields[9]
    note = text[n0:n1]
    if "^" in note:
        lo = n0 + note.rfind("^") + 1
    if len(with_by) <= p1 - lo:
        _write(chars, lo, p1, with_by.rjust(p1 - lo) if lo < p0 - 1 else with_by)
    elif len(name) <= p1 - p0:
        _write(chars, p0, p1, name)


def _status(text: str, chars: list[str], fields: list[tuple[int, int]], rules: Hl7Rules) -> None:
    if len(fields) <= 20:
        return
    s0, s1 = fields[20]
    if text[s0:s1].strip().upper() not in rules.not_given_status:
        return
    words = " not given "
    lo = fields[11][0] - 1 if text[fields[10][0] : fields[10][1]].strip() else fields[9][0] - 1
    hi = fields[19][1]
    if hi - lo >= len(words):
        _write(chars, lo, hi, words)
    # the route segment of that dose (the next line, RXR) gives no dose of its own
    line_end = text.find("\n", s1)
    if line_end >= 0 and text.startswith("RXR|", line_end + 1):
        rxr_end = text.find("\n", line_end + 1)
        _write(chars, line_end + 1, len(text) if rxr_end < 0 else rxr_end, "")
