"""Dose parsing and normalisation (pure functions, no spaCy).

Finds amounts such as ``60 mg``, ``1,000 mcg``, ``2.4 million units``, ``40 mg/mL x 1 mL``
and ``1% ... 2 mL`` in a piece of note text and normalises them to the contract's units
(section 5: mg, g, mcg, units, mL, mEq; gm -> g, cc -> mL, u/IU -> units, ug -> mcg; a
percent solution converts at ``percent_mg_per_ml`` mg/mL per percent). The unit vocabulary
comes from ``patterns/lexicons/units.yaml``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

# a number: Indian digit grouping first ("6,00,000 IU" = 600000: lakh and crore groups of two
# digits before the last three), then thousands groups, plain digits and a bare decimal
# a decimal comma of European notes ("2,5 mg", "12,5 mg", "0,5 ml": corpora/README.md, team_f
# decision): one or two digits, a comma and one or two digits written against a unit's letters,
# not a list ("180, 2 units") nor thousands ("1,000")
_DECIMAL_COMMA = r"\d{1,2},\d{1,2}(?![\d,])(?=[\s\u00a0]?[A-Za-z\u00b5\u03bc])"
# a large number of units grouped by a space, as French, Nordic and form prints write thousands
# ("600 000 units", "1 200 000 UI"; helper synthfix19, team_m): only before a units word, so a
# list of two numbers ("2 100 mg") stays two
_SPACED_UNITS = (
    r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?=[ \u00a0\u202f]?(?:units?|IU|UI|U|unités|unidades)\b)"
)
_NUM = (
    r"(?<![\w./])(\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?|"
    + _SPACED_UNITS
    + "|"
    + _DECIMAL_COMMA
    + r"|\d+(?:\.\d+)?|\.\d+)"
)
_DECIMAL_COMMA_WHOLE = re.compile(r"\d{1,2},\d{1,2}")
_WS = r"[\s\u00a0\u202f]*"
_RATIO = re.compile(r"(?<![\d:])1[\s\u00a0]*:[\s\u00a0]*(1,?000|10,?000)(?!\d|,\d)")


def catheter_after(units_spec: dict[str, Any]) -> tuple[range, re.Pattern[str] | None]:
    """The gauges and the IV-site words after them that make "<n>g" a peripheral IV catheter's
    gauge, not grams (``units.yaml`` ``catheter_gauge_range``, ``catheter_side_words``,
    ``catheter_site_words``: "20g R hand", "#22G LAC"); an empty range and None when the file
    has none."""
    low, high = units_spec.get("catheter_gauge_range", (1, 0))
    sites = units_spec.get("catheter_site_words", ())
    if not sites:
        return range(0), None
    sides = alternation(units_spec.get("catheter_side_words", ()))
    letters = "|".join(
        re.escape(w) for w in units_spec.get("catheter_side_words", ()) if len(w) == 1
    )

    def site(word: str) -> str:
        stem = r"\s*".join(re.escape(part) for part in word.rstrip("*").split())
        return stem + (r"\w*" if word.endswith("*") else r"\b")

    glued = rf"(?:{letters})?" if letters else ""
    pattern = (
        rf"[\s\u00a0]*(?:(?:{sides})\.?\b[\s\u00a0]*)?{glued}(?:{'|'.join(map(site, sites))})"
        if sides
        else rf"[\s\u00a0]*(?:{'|'.join(map(site, sites))})"
    )
    return range(int(low), int(high) + 1), re.compile(pattern, re.I)


def alternation(words: Any) -> str:
    """A regex alternation of ``words`` (any iterable of strings), escaped and longest first
    so that a longer form wins over its prefix ("mg/kg" before "mg"); "" when empty."""
    return "|".join(
        re.escape(str(w)) for w in sorted(words, key=lambda w: len(str(w)), reverse=True)
    )


@dataclass(frozen=True)
class Dose:
    """One amount found in text.

    Attributes:
        value: numeric value in ``unit`` (int when integral).
        unit: one of the contract's units (mg, g, mcg, units, mL, mEq).
        start, end: character offsets into the text that was searched.
        is_volume: True when the amount is a volume (mL) only.
    """

    value: float | int
    unit: str
    start: int
    end: int
    is_volume: bool


_WORD_SPLIT = re.compile(r"[\s\u00a0-]+")


def _number(
    text: str,
    words: dict[str, float] | None = None,
    scales: dict[str, float] | None = None,
    points: frozenset[str] = frozenset(),
    zeros: frozenset[str] = frozenset(),
) -> float:
    if words:
        key = text.lower()
        if key in words:
            return float(words[key])
        parts = [p for p in _WORD_SPLIT.split(key) if p and p != "and"]
        known = (*words, *(scales or {}), *points, *zeros)
        if len(parts) > 1 and all(p in known for p in parts):
            return _words_value(parts, {**words, **dict.fromkeys(zeros, 0)}, scales or {}, points)
    if _DECIMAL_COMMA_WHOLE.fullmatch(text):
        return float(text.replace(",", "."))  # "2,5 mg": a decimal comma
    return float(re.sub(r"[,\s\u00a0\u202f]", "", text))


def _words_value(
    parts: list[str], words: dict[str, float], scales: dict[str, float], points: frozenset[str]
) -> float:
    """The number a run of number words says: "twenty five" 25, "two hundred fifty" 250,
    "one thousand" 1000, "one point five" 1.5, "point two five" 0.25 (the words after a
    decimal point are its digits)."""
    at = next((i for i, p in enumerate(parts) if p in points), len(parts))
    total = current = 0.0
    for p in parts[:at]:
        scale = scales.get(p)
        if scale is None:
            current += words[p]
        elif scale < 1000:
            current = (current or 1) * scale
        else:
            total, current = total + (current or 1) * scale, 0.0
    value = total + current
    digits = "".join(str(int(words[p])) for p in parts[at + 1 :])
    return value + (float("0." + digits) if digits else 0.0)


def tidy_number(value: float) -> float | int:
    """``value`` rounded to 6 places, an int when whole (how every ``Dose.value`` is kept);
    a non-finite value unchanged."""
    if not math.isfinite(value):
        return value  # a number past float range ("9" * 310): dropped by find_all
    value = round(value, 6)
    return int(value) if value == int(value) else value


class DoseParser:
    """Compiled dose regexes for one unit vocabulary.

    Args:
        units_spec: the parsed ``units.yaml`` mapping (keys ``units``, ``multipliers``,
            ``volume_unit``, ``percent_mg_per_ml``, ``not_dose_denominators``, ``rate_words``,
            ``rate_time_words``, ``number_words``, ``catheter_*``, ``needle_after``: a needle's
            size right after "<n>g", which is then no gram dose).
    """

    def __init__(self, units_spec: dict[str, Any]) -> None:
        self.canonical: dict[str, str] = {}
        for unit, forms in units_spec["units"].items():
            for form in forms:
                self.canonical[str(form).lower()] = unit
        self.multipliers = {str(k).lower(): v for k, v in units_spec["multipliers"].items()}
        self.mass_factors: dict[str, float] = dict(units_spec.get("mass_factors", {}))
        self.volume_unit = units_spec["volume_unit"]
        self.pct_factor = float(units_spec["percent_mg_per_ml"])
        self.gauges, self.catheter = catheter_after(units_spec)
        # after "25g": a needle's size ("25g needle", "22 gauge"), not grams (``needle_after``)
        needle = units_spec.get("needle_after")
        self._needle = re.compile(needle) if needle else None
        # "one gram": a number written as a word (only ever with a unit)
        self.number_words = {
            str(k).lower(): v for k, v in units_spec.get("number_words", {}).items()
        }
        word_alt = alternation(self.number_words)
        # "hundred", "thousand" (units.yaml number_scales) and "point" (number_points): a number
        # dictated in words ("two hundred fifty milligrams", "point five milliliters")
        self.number_scales = {
            str(k).lower(): float(v) for k, v in units_spec.get("number_scales", {}).items()
        }
        self.number_points = frozenset(str(w).lower() for w in units_spec.get("number_points", ()))
        self.number_zeros = frozenset(str(w).lower() for w in units_spec.get("number_zeros", ()))
        # "twenty-five", "thirty five": a tens word and a ones word, one number
        tens = [w for w, v in self.number_words.items() if v >= 20 and v < 100 and v % 10 == 0]
        ones = [w for w, v in self.number_words.items() if 1 <= v <= 9]
        digits = [*ones, *self.number_zeros]
        compound = (
            rf"(?:{alternation(tens)})(?:-|[\s\u00a0]+)(?:{alternation(ones)})\b|"
            if tens and ones
            else ""
        )
        small = rf"(?:{compound}(?:{word_alt})\b)"
        hundred = alternation(w for w, v in self.number_scales.items() if v == 100)
        thousand = alternation(w for w, v in self.number_scales.items() if v == 1000)
        sep = r"[\s\u00a0]+(?:and[\s\u00a0]+)?"
        integer = small
        if hundred and ones:
            hundreds = rf"(?:(?:{alternation(ones)})[\s\u00a0]+(?:{hundred})\b(?:{sep}{small})?)"
            integer = rf"(?:{hundreds}|{small})"
        if thousand:
            integer = rf"(?:{integer}[\s\u00a0]+(?:{thousand})\b(?:{sep}{integer})?|{integer})"
        if self.number_points and digits:
            digit_alt = alternation(digits)
            point = alternation(self.number_points)
            zero = alternation(self.number_zeros) or "(?!)"
            integer = (
                rf"(?:(?:(?:{integer}|{zero})[\s\u00a0]+)?(?:{point})"
                rf"(?:[\s\u00a0]+(?:{digit_alt})\b)+|{integer})"
            )
        number = _NUM[:-1] + rf"|\b{integer})" if word_alt else _NUM
        denominators = units_spec.get("not_dose_denominators", [])
        unit_alt = alternation(self.canonical)
        mult_alt = alternation(self.multipliers)
        volume_forms = [f for f, u in self.canonical.items() if u == self.volume_unit]
        vol_alt = alternation(volume_forms)
        den_alt = alternation(denominators)
        # a delimited export row keeps the amount and its unit in two cells ("...,150,mg,
        # Intramuscular,..."): a comma between them counts as a space when a comma also ends
        # the unit's cell (helper synthfix18, team_l: an eMAR CSV export row)
        # ... and a key=value log ("dose=80 unit=mg") keeps them in two keys: the unit key between
        # them counts as a space (helper synthfix19, team_m: a logfmt administration export)
        cells = (
            rf"(?:,(?=(?:{unit_alt}),)|[ \t]+(?:dose[_ ]?)?units?[ \t]*[=:][ \t]*\"?"
            rf"(?=(?:{unit_alt})(?![A-Za-z]))|{_WS})"
        )
        self._amount = re.compile(
            number + cells + rf"(?:({mult_alt}){_WS})?({unit_alt})?(?![A-Za-z\u00b5\u03bc])",
            re.IGNORECASE,
        )
        self._per_volume = re.compile(rf"{_WS}/{_WS}(?:1{_WS})?(?:{vol_alt})(?![A-Za-z])", re.I)
        # "150 mg/1 mL", "30mg/2mL": an amount in a stated volume (the syringe), not a rate
        self._in_volume = re.compile(
            rf"{_WS}/{_WS}(\d+(?:\.\d+)?){_WS}(?:{vol_alt})(?![A-Za-z])", re.I
        )
        self._bad_den = (
            re.compile(rf"{_WS}/{_WS}(?:{den_alt})(?![A-Za-z])", re.I) if den_alt else None
        )
        # "125 mL per hour", "5 units an hour", "2 mcg per kg per minute": a rate, not an amount
        # ("an hour ago", "an hour later" are times, not rates)
        rate_alt = alternation(units_spec.get("rate_words", [])).replace(r"\ ", r"\s+")
        time_alt = alternation(units_spec.get("rate_time_words", [])) or "(?!)"
        self._rate = (
            re.compile(rf"{_WS}(?:{rate_alt})(?![A-Za-z])(?!\s+(?:{time_alt}))", re.I)
            if rate_alt
            else None
        )
        self._then_volume = re.compile(
            rf"{_WS}(?:[x×,(]|of|in)?{_WS}" + _NUM + _WS + rf"({vol_alt})(?![A-Za-z])", re.I
        )
        # "60 mg/2 mL vial: 1 mL", "1000 mcg/mL inj | 1 mL": the volume given of a concentration
        # (contract section 3: the amount is the concentration times the volume given), after
        # a container or form word (units.yaml volume_lead_words) and a cell separator; a
        # volume followed by a container word is the container's size ("| 10 mL vial")
        lead_alt = alternation(units_spec.get("volume_lead_words", [])).replace(r"\ ", r"\s+")
        # "Strength: 30 mg/mL  Amount: 2 mL": a form's volume field (units.yaml volume_field_words)
        field_alt = alternation(
            [*units_spec.get("volume_lead_words", []), *units_spec.get("volume_field_words", [])]
        ).replace(r"\ ", r"\s+")
        lead = rf"(?:(?:{field_alt})(?![A-Za-z]))?" if field_alt else ""
        self._part_volume = re.compile(
            rf"{_WS}{lead}{_WS}[:,x×(|\-\u2013]?{_WS}"
            + _NUM
            + _WS
            + rf"(?:{vol_alt})(?![A-Za-z/])"
            + (rf"(?!{_WS}(?:{lead_alt})(?![A-Za-z]))" if lead_alt else ""),
            re.I,
        )
        self._percent = re.compile(_NUM + _WS + r"%")
        # "approximately 10 cc of vasopressin 20 units and 30 cc was injected", "5 mL of
        # <drug> 20 units in 30 mL": a volume given of a drug whose amount is written with the
        # volume it was mixed into is that volume's share of the amount (corpora/README.md, the
        # blind-r4 mixture decision: 20 units in 30 cc, 10 cc given = 6.666667 units). With
        # "and" the mixed volume is no other drug's ("... 40 mg and 10 mL of lidocaine": two
        # drugs); the share needs the given volume no larger than the mixed one.
        amount_alt = alternation(f for f, u in self.canonical.items() if u != self.volume_unit)
        self._mixture_share = re.compile(
            rf"(\d+(?:\.\d+)?){_WS}(?:{vol_alt})(?![A-Za-z]){_WS}of{_WS}(?:(?:an?|the){_WS})?"
            rf"(?:[A-Za-z][\w-]*[\s\u00a0]+){{1,3}}?"
            + _NUM
            + _WS
            + rf"({amount_alt})(?![A-Za-z]){_WS}(?:(in)|and){_WS}(?:(?:an?|the){_WS})?"
            rf"(\d+(?:\.\d+)?){_WS}(?:{vol_alt})(?![A-Za-z])(?(4)|(?!{_WS}of\b))",
            re.I,
        )
        # "Tubersol 5 TU/0.1 mL": a strength in units that are no amount (units.yaml
        # strength_units): the volume after the slash is the amount given
        strength_alt = alternation(units_spec.get("strength_units", [])).replace(r"\ ", r"\s+")
        self._strength_volume = (
            re.compile(
                _NUM + _WS + rf"(?:{strength_alt})(?![A-Za-z]){_WS}/{_WS}"
                rf"(\d+(?:\.\d+)?|\.\d+){_WS}(?:{vol_alt})(?![A-Za-z])",
                re.I,
            )
            if strength_alt
            else None
        )
        # "1 mL of Kenalog 40 mg/mL", "0.3 mL of 1:1000 epinephrine", "0.3 cc of epinephrine
        # 1:1000": the volume given, written before a concentration with no volume of its own
        # (up to three words between: the drug's name); contract section 3, the amount is the
        # concentration times the volume
        self._volume_before = re.compile(
            rf"(\d+(?:\.\d+)?){_WS}(?:{vol_alt})(?![A-Za-z]){_WS}of{_WS}"
            rf"(?:(?:an?|the){_WS})?(?:[A-Za-z][\w-]*[\s\u00a0]+){{0,3}}$",
            re.I,
        )
        # "6 mL of 5% phenol": a volume of a percent solution, written before the percent
        self._volume_of_percent = re.compile(
            _NUM
            + _WS
            + rf"({vol_alt})(?![A-Za-z]){_WS}(?:of{_WS})?(?:an?{_WS})?"
            + _NUM
            + _WS
            + "%",
            re.I,
        )

    def smaller(self, a: Dose, b: Dose) -> bool:
        """Is amount ``a`` positive and smaller than ``b``, in one unit or two mass units
        (``units.yaml`` ``mass_factors``: 500 mg < 1 g)? False across dimensions."""
        if a.unit == b.unit:
            return 0 < a.value < b.value
        fa, fb = self.mass_factors.get(a.unit or ""), self.mass_factors.get(b.unit or "")
        return fa is not None and fb is not None and 0 < a.value * fa < b.value * fb

    def find_all(self, text: str) -> list[Dose]:
        """Return every amount in ``text`` in text order (concentrations resolved).

        A number counts only with a unit (or a multiplier such as "million" followed by
        units/"MU"). Lab values (mg/dL, pg/mL) and weight-based orders (mg/kg) are skipped.
        ``40 mg/mL x 1 mL`` gives one Dose of 40 mg spanning the whole phrase.
        """
        found: list[Dose] = []
        pos = 0
        while True:
            m = self._amount.search(text, pos)
            if not m:
                break
            pos = m.end()
            number, mult, unit_form = m.group(1), m.group(2), m.group(3)
            if unit_form is None and not (mult and mult.lower() == "mu"):
                continue
            unit = self.canonical.get((unit_form or "units").lower(), "units")
            value = _number(
                number, self.number_words, self.number_scales, self.number_points, self.number_zeros
            ) * (self.multipliers[mult.lower()] if mult else 1)
            end = m.end()
            if self._bad_den and self._bad_den.match(text, end):
                continue
            if self._rate and self._rate.match(text, end):
                continue  # "IV fluids at 125 mL per hour": a rate (units.yaml rate_words)
            if self._needle and self._needle.match(text, end):
                continue  # "25g needle", "22 gauge": a needle size, not grams
            if (
                unit == "g"
                and value in self.gauges
                and self.catheter
                and self.catheter.match(text, end)
            ):
                continue  # "20g R hand": an IV catheter's gauge, not grams
            in_volume = self._in_volume.match(text, end)
            per = self._per_volume.match(text, end)
            part = self._part_of(text, in_volume.end()) if in_volume else None
            if in_volume and part is not None:
                total, given = _number(in_volume.group(1)), _number(part.group(1))
                if 0 < given <= total:  # "60 mg/2 mL vial: 1 mL": half of it, 30 mg
                    value = value * given / total
                    found.append(Dose(tidy_number(value), unit, m.start(), part.end(), False))
                    pos = part.end()
                    continue
            if in_volume and not self._then_volume.match(text, in_volume.end()):
                found.append(Dose(tidy_number(value), unit, m.start(), in_volume.end(), False))
                pos = in_volume.end()
                continue
            if per:
                then = self._then_volume.match(text, per.end()) or self._part_of(text, per.end())
                if then is None:
                    given = self._given_volume(text, m.start())
                    if given is not None:  # "1 mL of Kenalog 40 mg/mL": 40 mg
                        found = [d for d in found if not given.start() <= d.start < m.start()]
                        found.append(
                            Dose(
                                tidy_number(value * _number(given.group(1))),
                                unit,
                                given.start(),
                                per.end(),
                                False,
                            )
                        )
                        pos = per.end()
                    continue  # a bare concentration is not an amount given
                volume = _number(then.group(1))
                value, end = value * volume, then.end()
                pos = end
            found.append(Dose(tidy_number(value), unit, m.start(), end, unit == self.volume_unit))
        for m in _RATIO.finditer(text):
            then = self._then_volume.match(text, m.end())
            if then is None:
                given = self._given_volume(text, m.start())
                if given is None:
                    continue
                mg = _number(given.group(1)) * 1000 / _number(m.group(1))  # "0.3 mL of 1:1000"
                found = [d for d in found if not (given.start() <= d.start < m.end())]
                found.append(Dose(tidy_number(mg), "mg", given.start(), m.end(), False))
                continue
            mg = _number(then.group(1)) * 1000 / _number(m.group(1))  # 1:1000 = 1 mg/mL
            found = [d for d in found if not (m.start() <= d.start < then.end())]
            found.append(Dose(tidy_number(mg), "mg", m.start(), then.end(), False))
        for m in self._volume_of_percent.finditer(text):
            mg = _number(m.group(3)) * self.pct_factor * _number(m.group(1))
            found = [d for d in found if not (m.start() <= d.start < m.end())]
            found.append(Dose(tidy_number(mg), "mg", m.start(), m.end(), False))
        for m in self._mixture_share.finditer(text):
            given, mixed = _number(m.group(1)), _number(m.group(5))
            if not 0 < given <= mixed:
                continue
            share = _number(m.group(2)) * given / mixed
            unit = self.canonical[m.group(3).lower()]
            found = [d for d in found if not (m.start() <= d.start < m.end())]
            found.append(Dose(tidy_number(share), unit, m.start(), m.end(), False))
        for m in self._percent.finditer(text):
            if any(d.start <= m.start() < d.end for d in found):
                continue  # "6 mL of 5%": read above
            then = self._then_volume.match(text, m.end())
            if then is None:
                then = self._then_volume.search(text[m.end() : m.end() + 30])
                if then is None:
                    continue
                vol_end = m.end() + then.end()
            else:
                vol_end = then.end()
            mg = _number(m.group(1)) * self.pct_factor * _number(then.group(1))
            found = [d for d in found if not (m.start() <= d.start < vol_end)]
            found.append(Dose(tidy_number(mg), "mg", m.start(), vol_end, False))
        if self._strength_volume is not None:
            for m in self._strength_volume.finditer(text):
                found = [d for d in found if not (m.start() <= d.start < m.end())]
                found.append(
                    Dose(
                        tidy_number(_number(m.group(2))), self.volume_unit, m.start(), m.end(), True
                    )
                )
        return sorted((d for d in found if math.isfinite(d.value)), key=lambda d: d.start)

    def _part_of(self, text: str, at: int) -> re.Match[str] | None:
        """The volume given written at ``at``, right after a concentration ("60 mg/2 mL
        vial: 1 mL", "1000 mcg/mL inj | 1 mL"), not a rate ("| 18 mL per hour"); or None."""
        part = self._part_volume.match(text, at)
        if part is None or (self._rate and self._rate.match(text, part.end())):
            return None
        return part

    def _given_volume(self, text: str, at: int) -> re.Match[str] | None:
        """The volume written "<n> mL of" up to three words before character ``at`` (a
        concentration there: "1 mL of Kenalog 40 mg/mL"), or None."""
        return self._volume_before.search(text, max(0, at - 60), at)

    def concentration_times_volume(self, text: str, volume_text: str) -> Dose | None:
        """A bare concentration in ``text`` ("1000 mcg/mL") times the first volume in
        ``volume_text`` ("Volume: 1 mL"), as on template forms; None when either is absent."""
        for m in self._amount.finditer(text):
            unit_form = m.group(3)
            if unit_form is None or not self._per_volume.match(text, m.end()):
                continue
            volumes = [d for d in self.find_all(volume_text) if d.is_volume]
            if not volumes:
                return None
            unit = self.canonical[unit_form.lower()]
            value = _number(m.group(1)) * volumes[0].value
            if not math.isfinite(value):
                return None
            return Dose(tidy_number(value), unit, m.start(), m.end(), False)
        return None

    def per_millilitre(self, text: str) -> Dose | None:
        """The first strength in ``text`` written per volume ("1,000 mcg/mL", "40 mg/1 mL",
        "1,200,000 units/2 mL") as the amount in one mL (its span: the amount's); None when
        there is none."""
        for m in self._amount.finditer(text):
            unit_form = m.group(3)
            if unit_form is None:
                continue
            value = _number(m.group(1))
            if not self._per_volume.match(text, m.end()):
                within = self._in_volume.match(text, m.end())
                volume = float(within.group(1)) if within else 0.0
                if volume <= 0:
                    continue
                value /= volume
            if not math.isfinite(value) or value <= 0:
                continue
            unit = self.canonical[unit_form.lower()]
            if unit == self.volume_unit:
                continue
            return Dose(value, unit, m.start(), m.end(), False)
        return None

    def choose(self, text: str, anchor: int = 0) -> Dose | None:
        """Pick the dose of one administration from ``text``.

        Prefers an amount over a volume (contract section 5), then the first one at or
        after character ``anchor`` (the drug mention), then the last one before it.
        Returns None when the text holds no amount.
        """
        doses = self.find_all(text)
        if not doses:
            return None
        amounts = [d for d in doses if not d.is_volume] or doses
        after = [d for d in amounts if d.start >= anchor]
        return after[0] if after else amounts[-1]
