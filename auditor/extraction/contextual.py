"""Drug names that are a drug only beside a repletion word: "K repleted", "replete Mg",
"K+, Ca++ treated" (ICU nursing shorthand for electrolytes replaced this shift), and
words that name a drug only beside a dose: "MS 2 mg IV", "2 U regular" (DOSED mentions), and
a units dose after a coverage word, "covered with 2 units" (COVERAGE: an ADMIN mention and a
DOSE mention, the anchor of a sentence that names no drug), and a drug name misspelt by one
letter beside a dose and a given word (FUZZY, ``auditor.pipeline.mentions.FuzzyNames``): a DRUG
mention with its ConText modifiers.

The words ``k``, ``mg`` or ``ca`` alone are a lab, a unit or an abbreviation, so they are
not lexicon names. The mention ruler marks a name and a repletion cue within a few tokens
of each other, joined only by list words, other such names or lab values, as one
REPLETION mention (``extraction.yaml`` ``contextual_names``, ``auditor.pipeline.mentions``);
this step turns it into a DRUG mention per name (with the REPLETION mention's ConText
modifiers) and an ADMIN mention for its cue. No DRUG is made for a name right after a
number (a unit: "2 mg given") or when a drug of the same family is named in the sentence ("K
3.2, repleted with 40 mEq KCl": the KCl is the event; "phos replaced with Neutra-Phos": an oral
product, no event).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from typing import Any

from .rules import ExtractionRules
from .view import Mention, NoteView

LABEL = "REPLETION"
DOSED = "DOSED"  # a name beside a dose ("MS 2 mg", "2 U regular"): extraction.yaml dosed_names
COVERAGE = "COVERAGE"  # "covered with 2 units": extraction.yaml coverage
AMOUNT = "AMOUNT"  # "given 20 mEq": the amount after a given-word (a DOSE, as a coverage dose)
FUZZY = "FUZZY"  # a drug name misspelt by one letter beside a dose ("2MG HALDOLL"): a DRUG


def _is_number(word: str) -> bool:
    return any(ch.isdigit() for ch in word) and not any(ch.isalpha() for ch in word)


def lab_named(
    view: NoteView, a: Mention, dose_unit: str | None, rules: ExtractionRules
) -> Mention | None:
    """The electrolyte a drug-less dose is of: a ``contextual_names`` word written right
    after the amount ("given 2 gm mag", "received 40 meq K"), else the last such word before
    the anchor in its sentence ("K 3.3 at 0400, given 20 mEq IV"; "Mag 1.4 and pt received
    2 g"; not right after a number: "2 mg given" is a unit), whose generic's ``dosed_names``
    units hold the dose's unit, with no drug mention between; as a DRUG mention (None: no
    such word)."""
    spec = rules.contextual
    if dose_unit is None or not view.offsets:
        return None
    sent = view.sentences[a.sent]
    if a.tok_end < min(sent.tok_end, len(view.tokens)):
        after = spec.generic_of.get(view.tokens[a.tok_end])
        if after and dose_unit.lower() in spec.dosed_units.get(after, frozenset()):
            start = view.offsets[a.tok_end]
            end = start + len(view.tokens[a.tok_end])
            return Mention(
                "DRUG", after, start, end, a.tok_end, a.tok_end + 1, view.text[start:end], a.sent
            )
    found: Mention | None = None
    for i in range(sent.tok_start, a.tok_start):
        generic = spec.generic_of.get(view.tokens[i])
        if generic is None or (i > 0 and _is_number(view.tokens[i - 1])):
            continue
        if dose_unit.lower() not in spec.dosed_units.get(generic, frozenset()):
            continue
        start = view.offsets[i]
        end = start + len(view.tokens[i])
        found = Mention("DRUG", generic, start, end, i, i + 1, view.text[start:end], a.sent)
    if found is None:
        return None
    if any(m.label == "DRUG" and found.end <= m.start < a.start for m in view.in_sent(a.sent)):
        return None
    return found


def _dosed_in(view: NoteView, sent: int, found: list[Mention], spec: Any) -> dict[int, str]:
    """Token index -> family of each name of a REPLETION mention of sentence ``sent`` written
    right after an amount ("K 3.4 repleted w/ 20meq kcl, mg 1.6 repleted": "kcl", where a second
    repletion's span took the lexicon name). That amount names the salt given: the lab word of
    the same family in the sentence makes no drug of its own (one event, not two)."""
    out: dict[int, str] = {}
    for r in found:
        if r.sent != sent:
            continue
        for i in range(max(r.tok_start, 1), r.tok_end):
            generic = spec.generic_of.get(view.tokens[i])
            if generic is None:
                continue
            if i > 1 and _is_number(view.tokens[i - 2]) and view.tokens[i - 1].isalpha():
                out[i] = generic.split()[0]  # number, unit, name ("2 mg given" is a unit)
    return out


def add_contextual_mentions(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with each REPLETION mention replaced by its DRUG and ADMIN mentions (see the
    module docstring); ``view`` itself when it has none (or no token offsets)."""
    spec = rules.contextual
    found = [m for m in view.mentions if m.label == LABEL]
    dosed = [m for m in view.mentions if m.label == DOSED]
    covered = [m for m in view.mentions if m.label == COVERAGE]
    fuzzy = [m for m in view.mentions if m.label == FUZZY]
    amounts = [m for m in view.mentions if m.label == AMOUNT]
    if not (found or dosed or covered or fuzzy or amounts) or not view.offsets:
        return view
    added: list[Mention] = [replace(m, label="DRUG") for m in fuzzy]
    added += [replace(m, label="DOSE") for m in amounts]
    for r in covered:  # cue -> ADMIN; number + unit -> DOSE (the sentence's anchor if no drug)
        cue_end = r.tok_start + 1
        added.append(
            Mention(
                "ADMIN",
                "admin",
                r.start,
                view.offsets[cue_end - 1] + len(view.tokens[cue_end - 1]),
                r.tok_start,
                cue_end,
                "",
                r.sent,
            )
        )
        first = r.tok_end - 2
        added.append(
            Mention(
                "DOSE",
                "dose",
                view.offsets[first],
                r.end,
                first,
                r.tok_end,
                "",
                r.sent,
                r.modifiers,
            )
        )
    for r in dosed:
        names = spec.dosed.get(r.ident, frozenset())
        named = {m.ident for m in view.in_sent(r.sent) if m.label == "DRUG"}
        if r.ident in named:
            continue  # "K 20 mEq KCl": the KCl is the event
        for i in range(r.tok_start, r.tok_end):
            if view.tokens[i] in spec.dosed_verbs and i > r.tok_start:
                start = view.offsets[i]  # "ms given 2mg": the given-word is the dose's verb
                end = start + len(view.tokens[i])
                added.append(Mention("ADMIN", "admin", start, end, i, i + 1, "", r.sent))
        for i in range(r.tok_start, r.tok_end):
            if view.tokens[i] in names:
                start = view.offsets[i]
                end = start + len(view.tokens[i])
                mods = r.modifiers
                added.append(Mention("DRUG", r.ident, start, end, i, i + 1, "", r.sent, mods))
                break
    # an electrolyte named by its salt elsewhere in the note ("calcium chloride given ... K+,
    # Ca++ treated"): a contextual name of that electrolyte is that salt, so that a later
    # dose-less mention is read as the same administration (merging.merge_mentions)
    salt = {}
    for m in view.mentions:
        if m.label == "DRUG" and rules.drugs.get(m.ident, {}).get("role", "drug") == "drug":
            salt.setdefault(rules.family_of(m.ident), m.ident)
    for r in found:
        # the electrolytes named in the sentence by a drug name, a dosed name or an oral product
        # ("Mg 1.4 repleted with 2 gm mag sulfate", "phos low, replaced w/ neutra-phos"): that
        # named drug is what was given, so the lab word makes no drug of its own
        named = {
            rules.family_of(m.ident) for m in view.in_sent(r.sent) if m.label in ("DRUG", DOSED)
        }
        salts = _dosed_in(view, r.sent, found, spec)  # "... w/ 20meq kcl, mg 1.6 repleted"
        floor = max(view.sentences[r.sent].tok_start, r.tok_start - spec.regimen_lead_tokens)
        standing = bool(set(view.tokens[floor : r.tok_start]) & spec.regimen_leads)
        # "repleting k+ as needed", "K/Mg replaced prn": the standing repletion order too
        sent_end = view.sentences[r.sent].end
        standing = standing or (
            bool(set(view.tokens[r.tok_start : r.tok_end]) & rules.repletion_standing_cues)
            and rules.repletion_standing_after.match(view.text, r.end, sent_end) is not None
        )
        for i in range(r.tok_start, r.tok_end):
            word = view.tokens[i]
            start = view.offsets[i]
            end = start + len(word)
            if word in spec.cues:
                if not standing:  # "cont to have K repleted": the standing order
                    added.append(Mention("ADMIN", "admin", start, end, i, i + 1, "", r.sent))
                continue
            generic = spec.generic_of.get(word)
            if generic is None or rules.family_of(generic) in named:
                continue
            if i not in salts and rules.family_of(generic) in salts.values():
                continue  # "K 3.6 repleted w/ 20meq kcl, mg ... repleted": the KCl was given
            generic = salt.get(rules.family_of(generic), generic)
            if i > 0 and _is_number(view.tokens[i - 1]) and word not in spec.after_number:
                continue  # "2 mg given": a unit; "hgb 9.1 k+ 3.9": a lab ("40 KCL given" is KCl)
            text = view.text[start:end]
            added.append(Mention("DRUG", generic, start, end, i, i + 1, text, r.sent, r.modifiers))
    added = [replace(m, text=view.text[m.start : m.end]) for m in added]
    kept = [m for m in view.mentions if m.label not in (LABEL, DOSED, COVERAGE, FUZZY, AMOUNT)]
    return replace(view, mentions=sorted(kept + added, key=lambda m: m.start), _words={})


def effect_cues(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with an ADMIN mention for each effect word written right before the amount
    that leads a DRUG mention ("calmer after 1 mg ativan", "s/p 20 mg IV hydralazine":
    ``regex.effect_before_dose`` before ``regex.dose_lead``), or for an effect noun right before
    the drug's name ("good diuresis after the lasix": ``regex.effect_before_drug``, not for a
    drug whose mention states a regimen), or for a past-tense effect verb right before it
    ("Uterus firmed up well with IV pit": ``regex.effect_verb_before_drug``), or for a symptom
    said better right before it ("pain better after mso4": ``regex.symptom_better_before_drug``):
    a dose whose effect is charted was given
    (corpora/README.md, nursing decisions). "BP better after hydralazine" (no amount, no effect
    noun) gets none, nor does a drug the note names as a drip (a drip word right after one of its
    mentions) when no amount leads it. ``view`` itself when there is no such word."""
    added: list[Mention] = []
    text = view.text
    # drugs the note names with a drip word right after them ("begun on a lasix gtt with diamox"):
    # an effect written before such a drug's bare name is the drip's ("urine now 80-90 cc/hr after
    # lasix and diamox": the Diamox's dose and the Lasix drip; helper nursing28, nurs-151-17)
    dripped = {
        m.ident
        for m in view.mentions
        if m.label == "DRUG" and view.token(m.tok_end) in rules.infusion_words
    }
    for m in view.mentions:
        if m.label != "DRUG" or not view.offsets:
            continue
        sent = view.sentences[m.sent]
        lead_from = max(sent.start, m.start - rules.window.dose_before_chars)
        lead = rules.dose_lead.search(text, lead_from, m.start)
        if lead is not None:
            cue = rules.effect_before_dose.search(text, sent.start, lead.start())
        elif m.modifiers & rules.bolus_ignores:
            continue  # "good u/o to lasix bid": the regimen's effect
        elif m.ident in dripped:
            continue  # "UOP up after lasix/diamox" beside a "lasix gtt": the drip's effect
        else:  # "good diuresis after the lasix": an effect noun right before the drug
            cue = rules.effect_before_drug.search(text, sent.start, m.start)
            # "Uterus firmed up well with IV pit": a past-tense effect verb right before it
            cue = cue or rules.effect_verb_before_drug.search(text, sent.start, m.start)
            # "pain better after mso4": a symptom eased right before it
            cue = cue or rules.symptom_better_before_drug.search(text, sent.start, m.start)
        if cue is None:
            continue
        start, end = cue.span("cue") if "cue" in cue.re.groupindex else cue.span(1)
        i = bisect_left(view.offsets, start)
        if i >= len(view.offsets) or view.offsets[i] != start:
            continue
        added.append(Mention("ADMIN", "admin", start, end, i, i + 1, text[start:end], m.sent))
    if not added:
        return view
    return replace(view, mentions=sorted(view.mentions + added, key=lambda m: m.start), _words={})


QUESTION = "HYPOTHETICAL"  # the modifier a question-marked drug gets ("? rebolus w/ amio")


def question_marked(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with the ConText modifier HYPOTHETICAL added to each DRUG and ROUTE mention that
    stands within ``cues.yaml`` ``window.question_tokens`` tokens after a question mark written
    before a word ("? rebolus with IV amiodarone", "?REBOLUS W AMIO", "?haldol vs ativan"): in
    nursing shorthand a question mark before a treatment asks whether to give it (a plan, not a
    dose). The clinical sentencizer ends a sentence at the "?", so ConText alone cannot see it.
    A question mark after a word ("pain?") or right after a number ("?150") is not one; a
    hyphen glued inside a word ("re-bolus") is not counted as a word of the reach; the reach
    stops at a sentence end other than that question mark's own, and at an administration
    word ("? pain, given morphine"); a drug so marked carries it to the drug joined to it by "and",
    "or", "&" or "/" ("?replete K and Mg"). ``view`` itself when no such mark is found."""
    reach = rules.question_tokens
    if reach <= 0 or "?" not in view.text or not view.offsets:
        return view
    marked: set[int] = set()
    tokens, offsets, text = view.tokens, view.offsets, view.text
    for i, tok in enumerate(tokens):
        if not tok.startswith("?") or tok.strip("?"):
            continue
        start = offsets[i]
        before = text[start - 1] if start > 0 else " "
        if not (before.isspace() or before in ",;:(-" or start == 0):
            continue  # "pain?": a question about the word before
        words, j = 0, i + 1
        while j < len(tokens) and words < reach:
            if tokens[j] in (".", "!", "?") or tokens[j] in rules.question_stop_words:
                break
            marked.add(j)
            # a hyphen inside a word ("re-bolus": three tokens) does not count as a word
            glued = tokens[j] == "-" and j > 0 and offsets[j] == offsets[j - 1] + len(tokens[j - 1])
            words += 0 if glued else 1
            j += 1
    if not marked:
        return view
    # a pair the question opens reaches past its stop words: "?replete K and Mg", "?K & Ca": each
    # drug is asked about (not past a comma: "?amio, lopressor given")
    for m in view.mentions:
        if m.label in ("DRUG", "ROUTE") and m.tok_start in marked:
            k = m.tok_end
            while k < len(tokens) and tokens[k] in rules.list_joiners and tokens[k] != ",":
                k += 1
            nxt = [d for d in view.mentions if d.label == "DRUG" and d.tok_start == k]
            if nxt and k > m.tok_end:
                marked.add(k)
    mentions = [
        replace(m, modifiers=m.modifiers | {QUESTION})
        if m.label in ("DRUG", "ROUTE") and m.tok_start in marked
        else m
        for m in view.mentions
    ]
    return replace(view, mentions=mentions, _words={})


def bracket_restated(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with the drugs listed in a bracket after a generic injection word of their
    sentence ("had his shots at the well visit (DTaP, IPV, Hib)") given that word's ConText
    modifiers of ``words.bracket_shared_modifiers`` (a history, a family member's, care given
    elsewhere, a home medication): the bracket restates which shots the word names, so what is
    said of the shots is said of them. The bracket opens on the injection word's line with no
    other drug and no administration word between them, and holds no administration word of
    its own. ``view`` itself when nothing changes."""
    shared = rules.bracket_shared_modifiers
    if not shared or "(" not in view.text:
        return view
    text = view.text
    add: dict[int, frozenset[str]] = {}
    for inj in view.mentions:
        mods = inj.modifiers & shared
        if inj.label != "INJECTION" or not mods:
            continue
        line_end = text.find("\n", inj.end)
        line_end = len(text) if line_end < 0 else line_end
        sent = view.sentences[inj.sent]
        opened = text.find("(", inj.end, min(line_end, sent.end))
        if opened < 0:
            continue
        closed = text.find(")", opened, line_end)
        closed = line_end if closed < 0 else closed
        between = [m for m in view.mentions if inj.end <= m.start < opened]
        inside = [m for m in view.mentions if opened < m.start < closed]
        if any(m.label in ("DRUG", "ADMIN") for m in between):
            continue
        if any(m.label == "ADMIN" for m in inside):
            continue
        for m in inside:
            if m.label == "DRUG":
                add[id(m)] = add.get(id(m), frozenset()) | mods
    if not add:
        return view
    mentions = [
        replace(m, modifiers=m.modifiers | add[id(m)]) if id(m) in add else m for m in view.mentions
    ]
    return replace(view, mentions=mentions, _words={})
