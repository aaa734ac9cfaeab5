"""One check per finding of the catalogue (``patterns/billing/claim_rules.yaml``).

Each check is a function ``(context, line) -> details``: it returns one sentence per
occurrence of its finding on the claim line (an empty list: the line does not get it).
``@check("code")`` registers it under its finding code; the finding's meaning and source
are the catalogue's (``Check.finding``), and ``auditor.claims.reconcile`` refuses a
catalogue entry without a check. Checks read the line and the shared ``assess.Context``
only; they never change either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .assess import Context, dose, med, num
from .lines import ClaimLine
from .rules import ClaimRules, Finding

CheckFn = Callable[[Context, ClaimLine], list[str]]


@dataclass(frozen=True)
class Check:
    """A registered check.

    Attributes:
        code: its finding code (the catalogue key).
        fn: ``(context, line) -> details``.
        on_malformed: also run on a line whose fields could not be matched to columns.
    """

    code: str
    fn: CheckFn
    on_malformed: bool = False

    def finding(self, rules: ClaimRules) -> Finding:
        """The catalogue entry of this check (meaning, source, subsumed findings)."""
        return rules.findings[self.code]

    def __call__(self, ctx: Context, line: ClaimLine) -> list[str]:
        if line.malformed and not self.on_malformed:
            return []
        return self.fn(ctx, line)


CHECKS: dict[str, Check] = {}


def check(code: str, on_malformed: bool = False) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as the check of finding ``code``."""

    def register(fn: CheckFn) -> CheckFn:
        if code in CHECKS:
            raise ValueError(f"two checks for finding {code!r}")
        CHECKS[code] = Check(code, fn, on_malformed)
        return fn

    return register


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def unread_cell(code: str, field: str, what: str, problem: str) -> Check:
    """Register the check of finding ``code`` for a cell that could not be read as its
    type: ``ClaimLine.<field>`` holds such a cell's text (None when it was read or empty);
    the detail names ``what`` it is, the cell (shortened) and the ``problem``."""

    def unread(ctx: Context, line: ClaimLine) -> list[str]:
        text = getattr(line, field)
        return [] if text is None else [f"{what} {_short(text)} {problem}"]

    unread.__doc__ = f"{what.capitalize()} that could not be read (``{field}``)."
    check(code)(unread)
    return CHECKS[code]


# --- the line as read --------------------------------------------------------------------------
@check("malformed_line", on_malformed=True)
def malformed_line(ctx: Context, line: ClaimLine) -> list[str]:
    """A ragged row: its cells cannot be matched to the columns, so it is not checked."""
    if not line.malformed:
        return []
    return [f"{line.malformed}: its fields cannot be matched to the columns; not checked"]


@check("missing_code")
def missing_code(ctx: Context, line: ClaimLine) -> list[str]:
    """No code on the line."""
    return ["no CPT/HCPCS code on this line: not checked"] if not line.code else []


@check("invalid_code")
def invalid_code(ctx: Context, line: ClaimLine) -> list[str]:
    """A code that is not shaped like a CPT or HCPCS code."""
    if not line.code or ctx.rules.code_pattern.fullmatch(line.code):
        return []
    return [
        f"code {_short(line.code)} is not a CPT or HCPCS code (5 characters: 5 digits, "
        "4 digits and a letter, or a letter and 4 digits): not checked"
    ]


unread_cell(
    "invalid_units",
    "units_text",
    "units",
    "are not a number of units (a plain decimal such as 1 or 2.5): unit check skipped",
)


@check("reversal")
def reversal(ctx: Context, line: ClaimLine) -> list[str]:
    """Negative units: a reversal (credit) line, never reconciled as a billed line."""
    if line.units is None or line.units >= 0:
        return []
    return [
        f"{line.code or 'the line'} billed x{num(line.units)}: negative units reverse an "
        "earlier line; not reconciled with the documentation (review it with the line it "
        "reverses)"
    ]


unread_cell(
    "invalid_date",
    "dos_text",
    "date of service",
    "is not a date: code dates are checked against the current code set",
)


# --- the line against the notes --------------------------------------------------------------
@check("unmatched_claim")
def unmatched_claim(ctx: Context, line: ClaimLine) -> list[str]:
    """No note with the line's id."""
    if line.note_id is not None and line.note_id in ctx.notes:
        return []
    return [f"no note with id {line.note_id!r} in the notes input: documentation checks skipped"]


@check("note_unreadable")
def note_unreadable(ctx: Context, line: ClaimLine) -> list[str]:
    """The line's note has status error."""
    note = ctx.notes.get(line.note_id) if line.note_id is not None else None
    if note is None or note.status != "error":
        return []
    return [f"note {line.note_id!r} could not be read (status error): documentation checks skipped"]


@check("deleted_code")
def deleted_code(ctx: Context, line: ClaimLine) -> list[str]:
    """The code ended before the date of service (its replacement named)."""
    row = ctx.hcpcs.row(line.code)
    if row is None or not row.get("end_date"):
        return []
    end = date.fromisoformat(str(row["end_date"]))
    if line.dos is not None and line.dos <= end:
        return []
    current = ctx.hcpcs.current(line.code)
    when = (
        f"the date of service {line.dos.isoformat()} is after"
        if line.dos
        else "no date of service is given; in the current code set it ended"
    )
    instead = (
        f"; bill {current['code']} ({current['descriptor']}) instead"
        if current is not None and current["code"] != row["code"]
        else ""
    )
    detail = f"{line.code} was deleted: its last date of service was {end.isoformat()} and {when}"
    group = ctx.drugs.get(line.index)
    replacement = f": {group.replacement}" if group is not None and group.replacement else ""
    return [f"{detail}{instead}{replacement}"]


@check("facility_pos")
def facility_pos(ctx: Context, line: ClaimLine) -> list[str]:
    """The admin code on a professional claim with a facility place of service."""
    rules = ctx.rules.rules
    if not (
        line.code == ctx.admin_code
        and line.pos in rules["facility_pos"]
        and line.claim_type in rules["professional_claim_types"]
    ):
        return []
    return [
        f"{ctx.admin_code} billed on a professional claim with place of service {line.pos} "
        "(a facility setting): the facility reports the injection its staff give; a "
        "physician does not bill it"
    ]


# --- the claim ---------------------------------------------------------------------------------
@check("em_99211_with_96372")
def em_99211_with_96372(ctx: Context, line: ClaimLine) -> list[str]:
    """An E/M code that is not paid with the admin code, on its claim."""
    if line.code not in ctx.rules.rules["em_codes_not_with_admin"]:
        return []
    if not ctx.admin_lines_of_claim(line):
        return []
    return [
        f"{line.code} billed on the same claim as {ctx.admin_code}: this E/M is not paid with "
        "a drug administration service, even with a modifier; drop it"
    ]


@check("missing_modifier_25")
def missing_modifier_25(ctx: Context, line: ClaimLine) -> list[str]:
    """An E/M code beside the admin code without modifier 25."""
    modifier = str(ctx.rules.rules["em_modifier"])
    if line.code in ctx.rules.rules["em_codes_not_with_admin"]:
        return []
    if not ctx.rules.is_em_requiring_25(line.code) or modifier in line.modifiers:
        return []
    if not ctx.admin_lines_of_claim(line):
        return []
    return [
        f"E/M {line.code} billed on the same claim as {ctx.admin_code} without modifier "
        f"{modifier}: add {modifier} if the visit was significant and separately "
        "identifiable, else drop the E/M"
    ]


@check("repeat_admin_modifier")
def repeat_admin_modifier(ctx: Context, line: ClaimLine) -> list[str]:
    """The admin code repeated on a claim in a form the payer profile does not take."""
    admin_lines = ctx.admin_lines_of_claim(line)
    if line not in admin_lines:
        return []
    k = admin_lines.index(line)
    payer = ctx.rules.payer
    wanted = [str(m).upper() for m in payer["repeat_admin_modifiers"]]
    form = payer["repeat_admin_billing"]
    label = f"payer profile {payer['name']!r}"
    admin = ctx.admin_code
    details = []
    if k > 0 and wanted and not set(wanted) & set(line.modifiers):
        details.append(f"repeated {admin} line without modifier {' or '.join(wanted)} ({label})")
    if form == "lines" and line.units is not None and line.units > 1:
        details.append(
            f"{admin} x{num(line.units)} on one line: {label} wants each repeat on its own "
            f"line with modifier {' or '.join(wanted)}"
        )
    if form == "units" and k > 0:
        details.append(
            f"{admin} repeated on a second line: {label} wants repeats billed as units on one line"
        )
    return details


# --- admin units -------------------------------------------------------------------------------
def _admin_excess(ctx: Context, line: ClaimLine) -> tuple[int, int] | None:
    """``(billed, share)`` of an admin line whose checked units differ from its share."""
    group = ctx.admin.get(line.index)
    if group is None or line.counted_units is None:
        return None
    supported = group.shares[line.index]
    return (line.counted_units, supported) if line.counted_units != supported else None


@check("admin_units_mismatch")
def admin_units_mismatch(ctx: Context, line: ClaimLine) -> list[str]:
    """Admin units billed differ from the eligible injections documented."""
    excess = _admin_excess(ctx, line)
    if excess is None:
        return []
    group = ctx.admin[line.index]
    spread = (
        f" ({num(group.total)} in total on {len(group.lines)} lines for note "
        f"{group.note.note_id!r}; this line's share is x{excess[1]})"
        if len(group.lines) > 1
        else ""
    )
    return [
        f"{ctx.admin_code} billed x{num(line.units)} but the note documents {group.counted} "
        f"({group.eligible}), supporting {ctx.admin_code} x{group.supported}{spread}"
    ]


@check("wrong_admin_code")
def wrong_admin_code(ctx: Context, line: ClaimLine) -> list[str]:
    """Admin units beyond the eligible injections while the note documents injections that
    other codes cover (vaccine, chemotherapy, IV, other route, allergen)."""
    excess = _admin_excess(ctx, line)
    group = ctx.admin.get(line.index)
    if excess is None or excess[0] <= excess[1] or not group.ineligible:
        return []
    details = []
    for event in group.ineligible:
        instead = "; ".join(ctx.rules.bill_instead.get(f, "?") for f in event["flags"])
        details.append(
            f"{med(event)} ({', '.join(event['flags'])}) is not billable as "
            f"{ctx.admin_code}: bill {instead} instead ({ctx.admin_code} billed "
            f"x{num(line.units)}, supported x{excess[1]} for {group.counted})"
        )
    return details


# --- drug lines --------------------------------------------------------------------------------
@check("drug_not_documented")
def drug_not_documented(ctx: Context, line: ClaimLine) -> list[str]:
    """A drug code billed for a note that documents no administration of that drug."""
    group = ctx.drugs.get(line.index)
    if group is None or group.events:
        return []
    if group.unclassified:
        coded = [f"{med(e)} ({e['hcpcs']})" for e in group.note.events if e.get("hcpcs")]
        tail = f"; its coded drugs are {', '.join(coded)}" if coded else ""
        return [
            f"{group.code} (unclassified drug) billed x{num(line.units)} but the note "
            f"documents no drug without its own HCPCS code{tail}"
        ]
    drug = group.row["drug"]
    others = [
        f"{med(e)} ({e.get('hcpcs') or 'no code'})"
        for e in group.note.events
        if e.get("medication")
    ]
    tail = f"; it documents {', '.join(others)}" if others else ""
    return [
        f"{group.code} ({drug}) billed x{num(line.units)} but the note documents no {drug} "
        f"administration{tail}"
    ]


@check("drug_units_unverifiable")
def drug_units_unverifiable(ctx: Context, line: ClaimLine) -> list[str]:
    """The drug is documented without an amount that converts to the code's unit."""
    group = ctx.drugs.get(line.index)
    if group is None or not group.events or group.convertible:
        return []
    doses = ", ".join(f"{med(e)} {dose(e)}" for e in group.events)
    return [
        f"{group.code} billed x{num(line.units)} but the documented dose ({doses}) cannot be "
        f"expressed in {num(group.row['amount'])} {group.row['unit']} units: units not checked"
    ]


@check("drug_units_mismatch")
def drug_units_mismatch(ctx: Context, line: ClaimLine) -> list[str]:
    """Drug units billed differ from the units the documented dose supports."""
    group = ctx.drugs.get(line.index)
    if group is None or group.supported is None or line.counted_units is None:
        return []
    mine = group.shares[line.index]
    if line.counted_units == mine:
        return []
    if group.unclassified:
        names = ", ".join(med(e) for e in group.events)
        per = int(ctx.rules.payer["unclassified_units_per_administration"])
        return [
            f"{group.code} billed x{num(line.units)} but the note documents "
            f"{len(group.events)} administration{'' if len(group.events) == 1 else 's'} of "
            f"drugs without their own code ({names}), supporting {group.code} "
            f"x{group.supported} ({per} per administration, payer profile "
            f"{ctx.rules.payer['name']!r})"
        ]
    spread = (
        f" ({num(group.total)} in total on {len(group.lines)} lines; this line's share is "
        f"x{mine})"
        if len(group.lines) > 1
        else ""
    )
    return [
        f"{group.code} billed x{num(line.units)} but the documented dose supports "
        f"{group.code} x{group.supported} ({group.how}){spread}"
    ]
