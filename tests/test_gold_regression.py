"""Accuracy regression on gold notes: the figures reached must not silently fall.

Thresholds are the levels reached when this test was last tightened (see README,
"Accuracy"); lower them only with a note saying why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.evaluate import evaluate

from .conftest import (
    DEV_GOLD,
    DEV_GOLD_V1,
    ROOT,
    TEAM_D_GOLD,
    TEAM_E_GOLD,
    TEAM_F_GOLD,
    TEAM_G_GOLD,
    TEAM_GOLD,
    TEAM_H_GOLD,
    TEAM_I_GOLD,
    TEAM_J_GOLD,
    TEAM_K_GOLD,
    TEAM_L_GOLD,
    TEAM_M_GOLD,
    TEAM_N_GOLD,
)


@pytest.fixture(scope="module")
def dev_scores():
    if not DEV_GOLD.exists():
        pytest.skip(f"shared dev gold set not found at {DEV_GOLD} (../shared is absent)")
    return evaluate([DEV_GOLD])


def test_dev_status_accuracy(dev_scores):
    # contract v2 (issue 11 asks >= 0.95 status accuracy and event F1; 1.000 reached)
    assert dev_scores["n_notes"] == 40
    assert dev_scores["status_accuracy"] >= 0.97
    assert dev_scores["setting_accuracy"] >= 0.97


def test_dev_version_1_labels_under_the_version_1_spec():
    if not DEV_GOLD_V1.exists():
        pytest.skip(f"shared dev gold set not found at {DEV_GOLD_V1} (../shared is absent)")
    scores = evaluate([DEV_GOLD_V1], spec="cpt_96372.v1")
    assert (scores["status_accuracy"], scores["events"]["f1"]) == (1.0, 1.0)


def test_team_corpora_version_1_labels_under_the_version_1_spec():
    # expected_v1 holds the version-1 label where it differs; v1 results did not move
    scores = evaluate(TEAM_GOLD, spec="cpt_96372.v1")
    assert scores["status_accuracy"] >= 0.95
    assert scores["events"]["f1"] >= 0.97


def test_dev_missing_and_flags(dev_scores):
    assert dev_scores["missing"]["micro"]["f1"] >= 0.95
    assert dev_scores["flags"]["micro"]["f1"] >= 0.95


def test_dev_events_and_attributes(dev_scores):
    assert dev_scores["events"]["f1"] >= 0.97
    for name in ("route", "dose", "site"):
        assert dev_scores["attributes"][name] >= 0.97, name


@pytest.fixture(scope="module")
def team_scores():
    assert len(TEAM_GOLD) == 4, [p.name for p in TEAM_GOLD]
    return evaluate(TEAM_GOLD)


def test_team_corpus_size(team_scores):
    assert team_scores["n_notes"] == 280


def test_team_corpus_figures(team_scores):
    # levels reached on the team corpus (README "Accuracy"); MTSamples rows pull them down
    assert team_scores["status_accuracy"] >= 0.97
    assert team_scores["missing"]["micro"]["f1"] >= 0.92
    # 0.95 since the contract v2 relabel (0.959 reached): the three new flags add
    # MTSamples misses of the extractor (an unnamed IV event in an operative report counted
    # procedural; analgesia for an office instillation not recognised as procedural)
    assert team_scores["flags"]["micro"]["f1"] >= 0.95
    assert team_scores["events"]["f1"] >= 0.97
    for name, floor in (("route", 0.98), ("dose", 0.99), ("site", 1.0)):
        assert team_scores["attributes"][name] >= floor, name


# Synthetic sets written and labelled before any tool run, in styles the earlier sets lack
# (corpora/README.md), each split 40 dev / 20 heldout by a seeded hash of note_id: floors on
# dev only, at the level reached. Columns: lines, dev lines, gold events (all, dev; None: not
# pinned), then floors. Levels per round (status / event F1 / missing F1 unless named):
# - team_d (round 7; sha256 of note_id): before any rule 0.825 / 0.922 / 0.757; round 8 end
#   0.950 / 0.970 / 0.833, route and dose 1.000, setting 1.000; round 9 (kinds9:
#   "self-administered" both ways, "was last given <date>", dotted leaders, a strength line
#   over an amount line) 0.975 / 1.000 / 0.968.
# - team_e (round 8; sha256("team_e-20261207:" + id), written without reading patterns/ or
#   auditor/extraction/): at 9c392c4 0.750 / 0.808 / 0.490, setting 0.825; round 8 end 0.950 /
#   0.950 / 0.889, laterality 0.894; round 9 (kinds9: a nebulizer is inhaled, an eye in
#   shorthand, a table row's antecubital side) event F1 0.959, laterality 0.936, missing 0.923.
# - team_f (round 9; sha256("team_f-20261208:" + id), written likewise): at c61a578 0.675 /
#   0.750 / 0.462, route 0.909, dose 0.939, setting 0.650; round 9 (teamf9: FHIR, C-CDA and ';'
#   exports read as prose, a plan's clock time, copied-forward text, non-US chart wording,
#   tolerance of oral meds; kinds9: encounter class codes and more care-place titles, a
#   needle's gauge, tuberculin units, a side after an injection route) 0.850 / 0.886 / 0.698,
#   route, dose, laterality and setting 1.000; round 10 (kinds10: a FHIR entry charted not done,
#   C-CDA coded fields before the product, a trigger shot self-administered at home, an export's
#   reaction column, "Assessment is ..." and an ICD-coded opening line) 0.875 / 0.897 / 0.789.
# - team_g (round 10; sha256("team_g-20261206:" + id), written likewise: audit trails, BCMA scans,
#   Markdown tables, HL7 RAS/VXU, LAI initiation, hospice unit, implants, venom, MA shorthand,
#   Spanish and Indian OPD notes): at 2f9451c 0.525 / 0.753 / 0.481, route 0.921, dose 0.842,
#   laterality 0.868, setting 0.750; round 10 (kinds10: an emergency department, OPD, injection
#   visit, MA note or clinic department named; an ICD-coded opening line) 0.550 / 0.753 / 0.500,
#   setting 0.925; (teamg10, kinds 1, 4, 5, 9: lexicon names (diclofenac, glycopyrrolate, venom,
#   TT/ARV/ERIG, pellets), 'Inj.' prefixes, log line states, a patient's own log, HL7 RXA
#   amount/provider/status, Indian digit grouping, Spanish units, sites and cues, user ids with a
#   role, plural wounds) 0.650 / 0.9495 / 0.533, route 0.957, dose 0.936, laterality 0.894;
#   both together 0.675 / 0.9495 / 0.558, setting 0.925; round 11 (kinds11: a watch or a
#   reassessment told with its length, a drug's own adverse effects denied after it, the condition
#   after age and sex on the opening line, a log's INDICATION field, 'Imp:') 0.850 / 0.9495 /
#   0.727 (team_f 0.900 / 0.8966 / 0.833); then (the condition with no comma after age and sex,
#   or opening the line with 'Acute'; a form's 'Reaction: none'; intratympanic is route other)
#   0.875 / 0.9495 / 0.800, route 0.979.
# - team_h (round 11; sha256("team_h-20261207:" + id), written likewise: French and Portuguese
#   notes, OCR faxes with l/1 and O/0, HTML entities, RTF escapes, Unicode checkboxes, unresolved
#   SmartLinks, claim lines, late entries, entered in error, corrections, series records, wellness
#   bar, cruise ship, hospital at home, home birth): at 139f31b (measurement only) 0.500 / 0.750 /
#   0.441, route 1.000, dose 0.944, laterality 0.944, setting 0.775; teamh11 (hep A/B vaccine
#   names, HTML references decoded, hyphenated 'no injection-site reaction'): 0.550 / 0.7835 /
#   0.4483, dose 0.9474, laterality 0.9474; unfilled SmartLinks/SmartLists read as '***':
#   missing F1 0.500; kinds11 (responses, opening-line conditions, above; a form's 'Reaction:
#   none', an oral challenge is no response) 0.650 / 0.7835 / 0.549; both 0.650 / 0.7835 / 0.604.
# - round 12, kinds12 (an opening line that starts with the condition, a generic injection's
#   reason, named tests with qualitative results): team_e dev status 0.950 -> 0.975, missing F1
#   0.923 -> 0.960; team_f 0.900 -> 0.925, 0.833 -> 0.882; team_g 0.900 -> 0.925, 0.839 -> 0.867.
# - team_i (round 12; sha256("team_i-20261207:" + id), written likewise: EMS run sheets, German,
#   Italian and Dutch notes, speech-recognition route homophones, LAI rotation logs, oncology,
#   fertility and bone-health supportive injections, duplicate signed/unsigned exports, J-code unit
#   mismatches, POD and school-located vaccine clinics, swing bed, IRF, assisted living, PHP, mobile
#   van, TB DOT, cosyntropin): at c486ae3 (measurement only) 0.600 / 0.8315 / 0.4651, route 0.973,
#   dose 0.8919, laterality 0.7297, setting 0.775; synth12 (place, site, tolerance and giver words,
#   diagnosis headings and drug names of French/Portuguese/Italian/German/Dutch notes; a vaccine
#   'already received' or received 'at pharmacy' is history; their route words, 'e.v.') 0.650 /
#   0.8696 / 0.5263, route 0.975, dose 0.900, laterality 0.775, setting 0.950; team_h with the same
#   rules 0.725 / 0.8367 / 0.7234, dose 0.951, laterality 1.000, setting 0.875.
# - team_j (round 13; sha256("team_j-20261207:" + id), the 20 smallest, written likewise: Epic
#   MAR prints, Cerner task lists, Meditech account statuses, athena/eCW/NextGen/Allscripts grids,
#   CSV and JSON rows, revision-view exports, urology, sub-Tenon, dental, aesthetic, imaging,
#   Polish, Turkish, Tagalog-English and Arabic-transliterated notes): at 1e52b0b (measurement
#   only) 0.550 / 0.7826 / 0.3636, route 0.972, dose 0.861, laterality 0.944, setting 0.675.
# - round 13, synth13 (setting fields of export prints and Meditech statuses, a volume times a
#   strength written apart, colonless diagnosis headings, a lab's analyte, Polish/Turkish/Tagalog
#   words, log sources and indented states, superseded drafts, decimal commas, chemodenervation
#   written IM, hep lock), merged with main c83d3fd (opening condition words): team_j dev 0.725 /
#   0.8764 / 0.5625, route 1.000, dose 0.974, laterality 0.949, setting 0.875; team_i 0.800 /
#   0.8889 / 0.6875, dose 0.950, laterality 0.800; team_h 0.800 / 0.8367 / 0.7907.
# - round 13, coordinator (opening lines three, "HPI: 19M with ..."): team_j dev status 0.725 ->
#   0.700: tj-011's indication is now found, which shows its response read from a timed
#   reassessment (cues.yaml reassessment cue, against team_e's drug-effect decision; left as is);
#   its gaps status had been right for the wrong element. team_i 0.800 -> 0.825 (team-i-020).
# - team_k (round 14; sha256("team_k-20261207:" + id), the 20 smallest, written likewise:
#   Vietnamese, Haitian Creole, Hindi in Latin letters, Russian, Romanian, Swedish, Indonesian,
#   Swahili, Czech, Korean, Japanese and Finnish notes; MDS section N, OASIS-style home visit, SNF,
#   hypodermoclysis, newborn nursery, camp, school, marathon tent, in-flight, street medicine and
#   triage-tag records; pharmacist LAI, court-ordered LAI, chemical-restraint checklist, sign-out,
#   pager log, email, incident report, AI-scribe draft, RPMS PCC form, YAML, ASCII grid, two-column
#   OCR, rn/m fax OCR; mg/kg and mg/m2 doses, IM/IV orders, split biologic doses): at 4f10841
#   (measurement only) 0.575 / 0.875 / 0.4444, route 0.9714, dose 0.8857, laterality 0.6857,
#   setting 0.675; synth14 (route, unit, site, side, heading, response and giver words of the
#   Vietnamese, Russian, Korean, Swedish, Swahili, Romanian and Hindi notes; their clinic and
#   emergency titles; an en/em dash before the ED, '(home)' visits, a school's health office, a
#   ward sign-out, 'Dr.' in a title; a grid's rule lines; an illegible tolerance; later visits
#   and an order's wording as plans; OCR '1' for 'l' and 'rn' for 'm'; an unnamed further
#   amount keeps its drug's exclusion) 0.800 / 0.925 / 0.5789, route 0.973, dose 0.9189,
#   laterality 0.8649, setting 0.975 (heldout unchanged: 0.500 / 0.757); team_j dev setting 0.875 ->
#   0.900 (tj-047, 'Dr.' in its title; its floor left to team_j's owner).
# - round 14, coordinator (a timed reassessment is no response cue of its own, cues.yaml 1.34.0):
#   team_j dev 0.700 -> 0.725, missing F1 0.581 -> 0.625 (tj-011); team_e missing F1 0.960 ->
#   1.000 (team-e-032). Then a disease noun with the words naming it on the opening lines
#   ("carcinoid syndrome"), "bridging" (regex.condition_word 1.56.0): team_f missing F1 0.8824 ->
#   0.9091, team_i 0.6875 -> 0.7097, team_j status 0.725 -> 0.750, missing F1 0.625 -> 0.6452.
# - round 14, synthfix14 (corrections of the entry above, waste lines, orders placed, a patient
#   who left before the dose, out of stock, "last given <date>", series steps "Day N (date)",
#   pipe-table rows named by the drug above, a numbered dose of a series, a site chosen against
#   last week's, "refractory to", veterinary records, bowel-imaging injections, care-place titles,
#   line-numbered prints, spoken punctuation, lakh, Rx lines carried out, Morton neuroma spaces,
#   ordinals), merged with main b40253a: team_h dev 0.800 / 0.8367 / 0.7907 -> 0.875 / 0.875 /
#   0.878, setting 0.875 -> 0.950; team_i 0.825 / 0.8889 / 0.6875 -> 0.875 / 0.9231 / 0.750, route
#   1.000, dose 0.976, laterality 0.857; team_j 0.725 / 0.8764 / 0.625 -> 0.850 / 0.9655 / 0.714,
#   setting 0.975; team_g 0.925 / 0.9495 -> 0.950 / 0.960, setting 0.975. With main a1e46e1 (the
#   condition words above): team_i missing F1 0.7742, team_j 0.875 / 0.9655 / 0.7407.
# - round 15 (helper synthfix15; general rules for team_k, team_h, team_j kinds): team_k dev 0.800 /
#   0.925 / 0.5789 -> 0.950 / 0.9877 / 0.7429, dose 0.9189 -> 0.975, laterality 0.8649 -> 0.975;
#   team_h 0.875 / 0.875 / 0.878 -> 0.925 / 0.9362 / 0.950, dose 0.9773; team_j 0.875 / 0.9655 ->
#   0.900 / 1.000 (a MAR row under its order, turbinates each side), dose 0.9778, laterality
#   0.9524 -> 0.9556; team_i event F1 0.9231 -> 0.9462 (three trigger points), missing F1 0.7742 ->
#   0.800, laterality 0.8571 -> 0.8409 (the two trigger-point events now matched carry no side:
#   'L upper trapezius x2' is not read; floor lowered to what is reached). With main cc052e1.
# - round 16 (helper synthfix16; indication and team_h..k kinds: condition and purpose words of
#   other languages, the SOEP E: heading, a dictated 'history:' heading, an age and sex after a
#   label past the opening lines, bracketed vaccines of reported shots, OCR O for zero, a dose told
#   in its own clause, allergen vial rows, a form item instruction, a form's route field, the muscle
#   after "i.m. M."): team_k dev 0.950 / 0.9877 / 0.7429 -> 1.000 / 0.9877 / 0.8387, dose 0.975 ->
#   1.000; team_h 0.925 / 0.9362 / 0.950 -> 0.975 / 0.967 / 0.9744, dose 1.000; team_i 0.875 /
#   0.9462 / 0.800 -> 0.925 / 0.9792 / 0.8667, laterality 0.8409 -> 0.8723; team_j 0.900 / 1.000 /
#   0.7407 -> 0.925 / 1.000 / 0.800. With main e6883b7.
# - round 17 (helper synthfix17; response and indication written forms, a series record headed
#   by its drug, a timed log's finding before a rescue drug): team_h dev 0.975 / 0.967 -> 1.000 /
#   0.9892; team_i 0.925 / 0.9792 / 0.8667 -> 0.975 / 0.9792 / 0.9655; team_j 0.925 / 1.000 /
#   0.800 -> 0.975 / 1.000 / 0.8696; team_k missing F1 0.8387 -> 0.8966. From main 2b7b31e.
# - team_l (round 18; sha256("team_l-20261207:" + id), the 10 smallest of 40, written likewise by
#   helper synthfix18: coding-query and billing replies, one-row eMAR CSV and pipe exports, a
#   pharmacist's consult, LTC eMAR and VA CPRS notes, patient-facing ED instructions, a record
#   review, a faith community nurse; Chinese, Greek, Arabic, Norwegian, Hebrew and Thai notes; LAI,
#   OB, fertility, haemophilia and weight clinics; traps): at main 0c987ae (before any rule) dev
#   0.8333 / 0.9385 / 0.5185, route 0.9355, dose 0.9677, laterality 0.8387, setting 0.7667 (heldout
#   0.800 / 0.8571 / 0.6667). synthfix18 (the four languages' words and titles, Voltaren, an
#   addendum pointing back, a standing order's route, an export row's amount and unit in two cells,
#   evidence words, settings): dev 1.000 / 1.000 / 1.000, route 1.000, dose 1.000, laterality
#   0.9394 (tl-037: an IV push's "L AC" side), setting 1.000; heldout unchanged (0.800 / 0.8571).
#   Settings (veterinary clinic and sports-medicine follow-up null; "NV <date> <time>", an
#   answering service, a fax sent from a practice): team_e, team_g, team_h, team_i, team_j dev
#   setting 0.975 / 0.975 / 0.950 / 0.975 / 0.975 -> 1.000 each.
# - team_m (round 19; sha256("team_m-20261208:" + id), the 10 smallest of 40, written by helper
#   synthfix19: a one-line SOAP note, a logfmt export, a team chat, a voicemail, a PDF-to-text form,
#   an emoji checklist, Markdown MAR and strikethrough, a pasted-twice block, a day book, a
#   dictation with homophones; Ukrainian, Persian, Catalan, Hungarian, Danish, Hindi (Devanagari),
#   Malay, Serbian and Lithuanian notes; traps): at main ed49959 (before any rule) dev 0.700 /
#   0.7692 / 0.6087, route 1.000, dose 0.960, laterality 0.840, setting 0.7333 (heldout 0.400 /
#   0.800 / 0.500). synthfix19 (the three dev languages' words and headings, clinic titles, a
#   list of doses before one verb, the drug a visit is for, struck-through text, a key=value log,
#   a PDF-to-text form's label lines, spaced thousands, a block pasted twice, a closed vaccine
#   series, speech-recognition forms): dev 1.000 / 0.8889 / 1.000, laterality 1.000, setting
#   0.9667 (tm-023's SI joints, tm-025's paracervical block, tm-030's practice name left);
#   heldout unchanged (0.400 / 0.800 / 0.500). Older kinds: team_j dev status 0.975 -> 1.000,
#   missing F1 0.8696 -> 1.000, laterality 0.9556 -> 0.9778 (tj-042's JSON keys); team_k missing F1
#   0.8966 -> 0.9286, route 0.975 -> 1.000 (tk-050's sig in clinic, a partner's result).
# - team_n (round 20; sha256("team_n-20261209:" + id), the 10 smallest of 40, written by helper
#   synth20: Icelandic, Estonian, Slovak, Bengali, Tamil, Amharic, Yoruba, isiZulu, Afrikaans,
#   Latvian, Nepali, Urdu, Slovenian and Welsh/English notes; triage, occupational, correctional,
#   veterinary, dermatology, eye, rheumatology, travel, urgent-care, ski-patrol, harm-reduction,
#   REMS, letter, stripped-blank, openEHR, INI and SQL exports; traps): at main 056c854 (before any
#   rule) dev 0.4333 / 0.6769 / 0.4138, route 0.9545, dose 0.9545, laterality 0.7273, setting
#   0.600 (heldout 0.600 / 0.8148 / 0.400). synth20 (the dev languages' words, headings and clinic
#   titles, i/m, a correctional medical unit, a first dose given in clinic after a regimen begun, a
#   surface anaesthetic's route, a dash after 'failed', a take-home kit, a birth hospital's doses,
#   fields run together, INI sections, serious reactions denied): dev 0.8333 / 0.9697 / 0.6667,
#   route 1.000, dose 0.9688, laterality 0.9062, setting 1.000; heldout unchanged (0.600 / 0.8148
#   / 0.400). Left: tn-031 (openEHR flat paths), tn-006 (an Amharic split dose), tn-001 and tn-005
#   (Icelandic and Tamil indications), tn-023 ('monitored 2 h' read as the response).
SPLIT_SETS = {
    "team_d": (TEAM_D_GOLD, 60, 40, None, None,
               {"status": 0.975, "event_f1": 1.0, "route": 1.0, "dose": 1.0,
                "missing_f1": 0.967, "setting": 1.0}),
    "team_e": (TEAM_E_GOLD, 60, 40, 78, None,
               {"status": 0.975, "event_f1": 0.959, "route": 0.978, "dose": 0.957,
                "laterality": 0.936, "missing_f1": 1.0, "setting": 1.0}),
    "team_f": (TEAM_F_GOLD, 60, 40, 72, 45,
               {"status": 0.925, "event_f1": 0.8966, "route": 1.0, "dose": 1.0,
                "laterality": 1.0, "missing_f1": 0.9091, "setting": 1.0}),
    "team_g": (TEAM_G_GOLD, 60, 40, 75, 50,
               {"status": 0.95, "event_f1": 0.96, "route": 0.9787, "dose": 0.9362,
                "laterality": 0.8936, "missing_f1": 0.8667, "setting": 1.0}),
    "team_h": (TEAM_H_GOLD, 60, 40, 73, 47,
               {"status": 1.0, "event_f1": 0.9892, "route": 1.0, "dose": 1.0,
                "laterality": 1.0, "missing_f1": 0.9744, "setting": 1.0}),
    "team_i": (TEAM_I_GOLD, 60, 40, 77, 49,
               {"status": 0.975, "event_f1": 0.9792, "route": 1.0, "dose": 0.9787,
                "laterality": 0.8723, "missing_f1": 0.9655, "setting": 1.0}),
    "team_j": (TEAM_J_GOLD, 60, 40, 66, 45,
               {"status": 1.0, "event_f1": 1.0, "route": 1.0, "dose": 0.9778,
                "laterality": 0.9777, "missing_f1": 1.0, "setting": 1.0}),
    "team_k": (TEAM_K_GOLD, 60, 40, 61, 40,
               {"status": 1.0, "event_f1": 0.9877, "route": 1.0, "dose": 1.0,
                "laterality": 0.975, "missing_f1": 0.9285, "setting": 0.975}),
    "team_l": (TEAM_L_GOLD, 40, 30, 41, 33,
               {"status": 1.0, "event_f1": 1.0, "route": 1.0, "dose": 1.0,
                "laterality": 0.9393, "missing_f1": 1.0, "setting": 1.0}),
    "team_m": (TEAM_M_GOLD, 40, 30, 42, 30,
               {"status": 1.0, "event_f1": 0.8888, "route": 1.0, "dose": 1.0,
                "laterality": 1.0, "missing_f1": 1.0, "setting": 0.9666}),
    "team_n": (TEAM_N_GOLD, 40, 30, 47, 34,
               {"status": 0.8333, "event_f1": 0.9696, "route": 1.0, "dose": 0.9687,
                "laterality": 0.9062, "missing_f1": 0.6666, "setting": 1.0}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SPLIT_SETS))
def test_split_synthetic_corpus(name):
    path, n_lines, n_dev, n_events, n_dev_events, floors = SPLIT_SETS[name]
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == n_lines
    assert sum(x["split"] == "dev" for x in lines) == n_dev
    if n_events is not None:
        assert sum(len(x["expected"]["events"]) for x in lines) == n_events
    if n_dev_events is not None:
        dev_events = sum(len(x["expected"]["events"]) for x in lines if x["split"] == "dev")
        assert dev_events == n_dev_events
    (split,) = evaluate([path])["per_file_split"].values()
    dev = split["dev"]
    assert dev["n_notes"] == n_dev
    reached = {
        "status": dev["status_accuracy"],
        "event_f1": dev["events"]["f1"],
        "missing_f1": dev["missing"]["micro"]["f1"],
        "setting": dev["setting_accuracy"],
    } | {k: dev["attributes"][k] for k in ("route", "dose", "laterality")}
    assert {k: reached[k] for k, floor in floors.items() if reached[k] < floor} == {}  # below floor


def test_real_dev_setting_accuracy():
    # setting on the real-text dev splits (issue 12 corpora; README "Accuracy"): 0.955 ACI,
    # 0.960 MTSamples, 0.986 nursing reached with the care profiles of setting.yaml 1.4
    from auditor.evaluate import shared_data_dir

    if not (shared_data_dir() / "physionet-deid-nursing" / "id.text").exists():
        pytest.skip(f"shared nursing notes not found under {shared_data_dir()}")
    files = sorted((ROOT / "corpora" / "gold" / "real").glob("*.jsonl"))
    scores = evaluate(files)["per_file_split"]
    levels = {Path(name).stem: split["dev"]["setting_accuracy"] for name, split in scores.items()}
    assert levels.keys() == {"aci", "mtsamples", "nursing"}
    # MTSamples 0.92: the 27 dev notes of gold batch 2 (2026-12-06, helper procedures) bring
    # settings the rules do not read yet (a consult during an admission, "outpatient recovery"),
    # and so do the 30 of the setting batch (0.867: 'hospitalized' unit consults, plans); the
    # first 75 dev notes are at 0.987 since setting.yaml 1.6 (0.932 over the 132). 0.91 since
    # batch mtsamples-3 (30 dev notes, helper procedures): 0.867 on it before any rule (an
    # admitted cardioversion, a consult 'during the rest of her hospitalization', 'the clinic
    # waiting area', an earlier visit 'in our office'); 0.920 over the 162
    # nursing 0.94: the 25 dev notes of nursing batch 3 (2026-12-06, helper nursing, labelled
    # before running the tool) bring three notes whose setting the rules do not read (a short
    # night note, a respiratory-care note, a note with no ICU words; 0.880 on the batch); the
    # first 94 dev notes stay at 0.968 (0.950 over the 119).
    # setting.yaml 1.10 (helper setting, third round): ACI 1.000 (34 dev notes with batch
    # aci-3); floors keep room for new dev batches
    # setting.yaml 1.13 (helper setting, fourth round): MTSamples 0.995 over 192 dev notes
    # (batch mtsamples-setting-4, 30 notes labelled before running the tool: 0.867 before any
    # rule, 1.000 after); floor 0.95
    # setting.yaml 1.17 (round 8, helper kinds8): MTSamples 0.997, nursing 0.979 (drip rates by
    # mass or units per time, a case history's COURSE to discharge, a letter's "our office",
    # an admission dated by the sentence before)
    # setting.yaml 1.19 (round 9, helper kinds9): MTSamples 0.983 -> 0.995 over 362 dev notes
    # (an admission dated with its year in its own sentence, "Plan is to admit the patient",
    # "was admitted to the hospital today", a first visit to "our office")
    floors = {"aci": 0.97, "mtsamples": 0.95, "nursing": 0.94}
    for name, level in levels.items():
        assert level >= floors[name], name
