"""The extractor's rules, read once from the pattern files into plain Python values.

``ExtractionRules.from_files`` takes the parsed rule files the extractor uses (``RULE_FILES``:
drug lexicon, routes, sites, units, cues, section roles and ``extraction/extraction.yaml``)
and compiles them: word sets, window sizes, regexes and the dose parser. Nothing here reads
the disk or imports spaCy: the spaCy component passes the files in (from a patterns folder
or from its own ``to_disk`` copy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..doses import DoseParser, alternation

# the pattern files (relative names, as in ``auditor.patterns.SCHEMA``) the extractor reads
NEVER = re.compile(r"(?!)")  # an optional expression absent from the rule files matches nothing
RULE_FILES = (
    "lexicons/drugs.yaml",
    "lexicons/routes.yaml",
    "lexicons/sites.yaml",
    "lexicons/units.yaml",
    "cues/cues.yaml",
    "sections/section_rules.json",
    "extraction/extraction.yaml",
)


def _words(values: Any) -> frozenset[str]:
    return frozenset(str(v).lower() for v in values)


def _phrases(values: Any) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any of the phrases as whole words (None: no phrase)."""
    alt = alternation(values)
    return re.compile(r"(?<!\w)(?:" + alt + r")(?!\w)", re.I) if alt else None


@dataclass(frozen=True)
class Windows:
    """Window sizes and thresholds (``extraction.yaml`` ``window`` and ``cues.yaml`` ``window``);
    units are in each name (chars, tokens, lines = sentences)."""

    route_before_tokens: int
    dose_before_chars: int
    route_glued_chars: int
    diluent_chars: int
    admixture_tokens: int
    negator_tokens: int
    object_next_tokens: int
    group_line_lookahead: int
    shared_indication_lookahead: int
    procedure_route_sentences: int
    template_block_lines: int
    table_row_separators: int
    drug_before_chars: int
    merge_unnamed_chars: int
    absorb_unnamed_chars: int
    indication_max_chars: int
    infusion_after_tokens: int
    infusion_after_chars: int
    infusion_verb_before_tokens: int
    same_drug_gap_chars: int
    time_before_chars: int
    dose_after_chars: int
    strength_after_chars: int
    single_injection_tokens: int
    class_named_tokens: int
    class_qualifier_tokens: int
    repeat_after_chars: int
    repeat_before_chars: int
    evidence_after_chars: int
    evidence_after_words: int
    site_cue_tokens: int
    locative_tokens: int
    laterality_before_tokens: int
    laterality_after_tokens: int
    dose_list_chars: int
    finding_after_tokens: int
    followup_chars: int
    template_line_chars: int
    bolus_before_chars: int = 25
    bolus_raised_chars: int = 0
    group_admin_tokens: int = 1000
    laterality_side_after_tokens: int = 0  # "abdominal wall below the navel, L side"
    drip_bolus_tokens: int = 3
    drip_bolus_after_tokens: int = 30
    drip_bolus_dose_chars: int = 15
    procedure_means_tokens: int = 3
    same_drug_words_between: int = 1
    admission_told_sentences: int = 0
    restated_gap_chars: int = 0  # passes.merge_restated
    divided_dose_lookback_chars: int = 0  # passes.divided_doses
    divided_dose_gap_chars: int = 0
    dose_list_stop_chars: int = 0  # extract._dose_list / _dose_list_before
    total_before_chars: int = 0
    list_head_lead_tokens: int = 0  # given.another_for_list
    tolerated_clause_tokens: int = 0  # given.tolerated_which
    fluid_of_after_words: int = 0  # attributes.fluid_amount
    opening_lines: int = 0  # attributes.stated_indication
    own_verb_object_tokens: int = 0  # given._given_this
    condition_word_lines: int = 0  # attributes.opening_condition_word
    stress_report_chars: int = 0  # given.stress_agent_given
    near_blocker_words: int = 0  # attributes._lead_affirmed
    started_after_tokens: int = 0  # given.started_with_route: "METOPROLOL 2.5MG IV Q4H STARTED"


@dataclass(frozen=True)
class ContextualNames:
    """``extraction.yaml`` ``contextual_names``: words that name a drug only beside a
    repletion cue (``contextual.py``)."""

    generic_of: dict[str, str]  # word -> generic name
    cues: frozenset[str]
    joiners: frozenset[str]
    window_tokens: int
    dosed: dict[str, frozenset[str]]  # generic name -> the words that name it beside a dose
    dosed_units: dict[str, frozenset[str]]  # generic name -> its dose units (contract, lowercase)
    regimen_leads: frozenset[str] = frozenset()  # "cont to have K repleted": a standing order
    regimen_lead_tokens: int = 0
    after_number: frozenset[str] = frozenset()  # "40 KCL given": a salt's name after an amount
    # a given-word a dosed name may have between it and its amount ("ms given 2mg": dosed_names
    # before_dose_verbs): the administration verb of that dose
    dosed_verbs: frozenset[str] = frozenset()


class ExtractionRules:
    """Compiled extractor rules.

    Args:
        files: relative file name -> parsed content, for every name in ``RULE_FILES``
            (``auditor.patterns.Patterns.files`` holds them).

    Raises:
        KeyError: a file or key is missing (``auditor.patterns`` checks them at load).
    """

    def __init__(self, files: dict[str, dict[str, Any]]) -> None:
        drugs = files["lexicons/drugs.yaml"]
        routes = files["lexicons/routes.yaml"]
        sites = files["lexicons/sites.yaml"]
        cues = files["cues/cues.yaml"]
        spec = files["extraction/extraction.yaml"]
        self.version: str = str(spec["version"])
        self.drugs: dict[str, dict[str, Any]] = {d["generic"]: d for d in drugs["drugs"]}
        self.cancer_re = re.compile(
            r"\b(" + "|".join(re.escape(t) for t in drugs["cancer_terms"]) + r")\b", re.I
        )
        indication = cues["indication"]
        self.reject_first = _words(indication["reject_first_words"])
        self.skip_leading = _words(indication["skip_leading"])
        self.non_condition = _words(indication["non_condition_words"])
        marks = spec["punctuation"]
        self.indication_lead: str = marks["indication_lead"]
        self.indication_trim: str = marks["indication_trim"]
        self.word_trim: str = marks["word_trim"]
        self.condition_word_trim: str = marks["condition_word_trim"]
        self.evidence_word_trim: str = marks["evidence_word_trim"]
        stops = sorted(indication["stop_words"], key=len, reverse=True)
        stop_marks = marks["indication_stops"]
        # a full stop inside a number ("for INR 2.8") is a decimal point, no stop
        decimal = r"|(?<!\d)\.|\.(?!\d)" if "." in stop_marks else ""
        self.indication_stop = re.compile(
            "["
            + re.escape(stop_marks.replace(".", ""))
            + "]"
            + decimal
            + r"|\b(?:"
            + "|".join(re.escape(s) for s in stops)
            + r")\b",
            re.I,
        )
        self.evidence_future = _words(cues["evidence"]["future_words"])
        self.blocking = frozenset(cues["context"]["blocking"])
        self.not_given_mods = frozenset(cues["context"]["not_administered"])
        self.no_flag_mods = frozenset(cues["context"]["no_flag"])
        self.plan_over_history = frozenset(cues["context"].get("plan_over_history", ()))
        self.plan_over_history_roles = frozenset(cues["context"].get("plan_over_history_roles", ()))
        self.standing_mods = frozenset(cues["context"].get("standing", ()))
        self.conditional_mods = frozenset(cues["context"].get("conditional_order", ()))
        self.started_mods = frozenset(spec["modifiers"].get("started_then_tolerated", ()))
        self.started_after_mods = frozenset(spec["modifiers"].get("started_after_schedule", ()))
        self.procedure_done_ignores = frozenset(spec["modifiers"].get("procedure_done_ignores", ()))
        self.started_words = frozenset(spec["words"].get("started", ()))
        self.tolerated_relative = frozenset(spec["words"].get("tolerated_relative", ()))
        self.tolerated_heads = frozenset(spec["words"].get("tolerated_heads", ()))
        self.procedure_done = frozenset(spec["words"].get("procedure_done", ()))
        self.no_flag_iv_only_exclusions = frozenset(
            spec["words"].get("no_flag_iv_only_exclusions", ())
        )
        self.no_flag_infusion_classes = frozenset(spec["words"].get("no_flag_infusion_classes", ()))
        self.procedure_means = frozenset(spec["words"].get("procedure_means", ()))
        self.ed_elsewhere_mods = frozenset(cues["context"].get("elsewhere_unless_emergency", ()))
        self.post_mortem_re = _phrases(cues["context"].get("post_mortem_report", ()))
        self.veterinary_re = _phrases(cues["context"].get("veterinary_record", ()))
        self.schedule_given = _words(cues["context"].get("schedule_given", ()))
        self.present_mods = frozenset(cues["context"].get("this_encounter", ()))
        self.injection_only_families = _words(cues["context"].get("injection_only", ()))
        self.injection_only_names = _words(cues["context"].get("injection_only_names", ()))
        self.injection_only_classes = frozenset(cues["context"].get("injection_only_classes", ()))
        self.oral_form_families = _words(cues["context"].get("oral_forms", ()))
        self.injection_act_words = _words(cues["context"].get("injection_act_words", ()))
        self.contrast_words = _words(cues["context"].get("contrast_words", ()))
        self.injection_act_tokens = int(cues["window"].get("injection_act_tokens", 0))
        self.infusion_only_families = _words(cues["context"].get("infusion_only", ()))
        self.clause_breaks = _words(cues["context"].get("clause_breaks", ()))
        self.recent_mods = frozenset(cues["context"].get("recent_unless_dosed", ()))
        self.admitted_mods = frozenset(cues["context"].get("recent_unless_admitted", ()))
        self.night_mods = frozenset(cues["context"].get("night_unless_night_note", ()))
        self.symptom_max_tokens = int(cues["window"].get("for_symptom_tokens", 0))
        self.symptom_list_words = _words(cues["context"].get("for_symptom_list_words", ()))
        self.symptom_links = _words(cues["context"].get("for_symptom_links", ()))
        self.effect_between_words = _words(cues["context"].get("effect_between_words", ()))
        self.effect_start_words = _words(cues["context"].get("effect_start_words", ()))
        self.effect_start_classes = frozenset(cues["context"].get("effect_start_classes", ()))
        self.question_tokens = int(cues["window"].get("question_tokens", 0))
        self.title_paragraph_chars = int(cues["window"].get("title_paragraph_chars", 0))
        self.question_stop_words = _words(cues["context"].get("question_stop_words", ()))
        self.acute_symptoms = _words(cues["context"].get("for_symptom_words", ()))
        self.regimen_mods = frozenset(cues["context"].get("regimen_modifiers", ()))
        self.home_mods = frozenset(cues["context"].get("home_modifiers", ()))
        self.started_routes = frozenset(cues["context"].get("started_routes", ()))
        # the words crediting an effect to the drug after them ("urine up after bumex")
        self.effect_links = frozenset(cues["context"].get("effect_links", ()))
        # a start by IV of a drug of these classes is its first dose too ("bumex 1 mg iv
        # started this am", "IV Reglan started"), unlike an IV antibiotic course begun
        self.started_iv_classes = frozenset(cues["context"].get("started_iv_classes", ()))
        self.started_not_before = _words(cues["context"].get("started_not_before", ()))
        self.order_then_given = _words(cues["context"].get("order_then_given", ()))
        self.order_then_given_not_after = _words(
            cues["context"].get("order_then_given_not_after", ())
        )
        self.hypothetical_mods = frozenset(("HYPOTHETICAL",))
        # a prescription line carried out in its own sentence, with its injection route ("Rx:
        # Inj. Vitamin D3 6 lakh IU IM stat, R gluteal - given by Sr. A"): given.blocked_by
        self.carried_out_mods = frozenset(("HYPOTHETICAL", "PRESCRIPTION"))
        verbs = alternation(cues["context"].get("before_transfer_verbs", ()))
        units = alternation(cues["context"].get("before_transfer_units", ()))
        adverbs = alternation(cues["context"].get("before_transfer_adverbs", ()))
        self.before_transfer = (
            re.compile(
                rf"(?<!\w)(?:{verbs})\s+(?:(?:to|in|into|on)\s+(?:the\s+)?(?:{units})"
                + (rf"|(?:{adverbs})" if adverbs else "")
                + r")(?!\w)",
                re.I,
            )
            if verbs and units
            else None
        )
        ed_verbs = alternation(cues["context"].get("before_transfer_ed_verbs", ()))
        ed_places = alternation(cues["context"].get("before_transfer_ed_places", ()))
        self.before_transfer_ed = (
            re.compile(
                rf"(?<!\w)(?:{ed_verbs})\s+(?:to|in|into|at)\s+(?:the\s+)?(?:{ed_places})(?!\w)",
                re.I,
            )
            if ed_verbs and ed_places
            else None
        )
        away_verbs = alternation(cues["context"].get("before_transfer_ed_verbs", ()))
        away_places = alternation(cues["context"].get("elsewhere_places", ()))
        heads = alternation(cues["context"].get("elsewhere_named_heads", ()))
        not_names = alternation(cues["context"].get("elsewhere_not_names", ()))
        gap = int(cues.get("window", {}).get("elsewhere_verb_gap", 0))
        named = (
            rf"|(?!(?:{not_names})\b)(?:[A-Za-z][\w.'-]*\s+){{1,3}}(?:{heads})"
            if heads and not_names
            else ""
        )
        self.went_elsewhere = (
            re.compile(
                rf"(?<!\w)(?:{away_verbs})(?:\s+[A-Za-z]+){{0,{gap}}}?\s+(?:to|in|into|at)\s+"
                rf"(?:the\s+|an\s+|a\s+)?(?:{away_places}{named})(?!\w)",
                re.I,
            )
            if away_verbs and away_places
            else None
        )
        self.no_shared_indication = frozenset(spec["modifiers"]["no_shared_indication"])
        self.route_of_another = frozenset(spec["modifiers"].get("route_of_another", ()))
        self.bolus_ignores = frozenset(spec["modifiers"].get("bolus_ignores", ()))
        # all of these on a not-given drug the note runs as a drip: planned intermittent doses
        # (absent: never)
        self.planned_doses = frozenset(spec["modifiers"].get("planned_doses", ()))
        self.own_verb_needed = frozenset(spec["modifiers"].get("own_verb_needed", ()))
        self.nearest_drug_only = frozenset(spec["modifiers"].get("nearest_drug_only", ()))
        self.schedule_mods = frozenset(spec["modifiers"]["schedule"])
        self.role_of: dict[str, str] = {}
        for role, categories in files["sections/section_rules.json"]["roles"].items():
            for category in categories:
                self.role_of.setdefault(category, role)
        self.doses = DoseParser(files["lexicons/units.yaml"])
        self.anchor_blockers = _words(cues["anchor_blockers"]["next_words"])
        self.template_fields = tuple(str(f).lower() for f in cues["template_fields"])
        self.site_cues = _words(sites["site_cues"])
        self.site_complaint_after = _words(sites.get("complaint_after", ()))
        self.dose_list_sentences = int(sites.get("dose_list_sentences", 0))
        self.dose_list_cues = _words(sites.get("dose_list_cues", ()))
        self.bilateral_alone = _words(sites.get("bilateral_alone", ()))
        self.routed_place_tokens = int(sites.get("routed_place_tokens", -1))
        self.routed_place_routes = frozenset(sites.get("routed_place_routes", ()))
        self.repeat_side = re.compile(sites["repeat_side"]) if sites.get("repeat_side") else NEVER
        self.repeat_side_sentences = int(sites.get("repeat_side_sentences", 0))
        self.spinal_level = re.compile(sites["spinal_level"]) if sites.get("spinal_level") else None
        eye_sides = {str(k): str(v) for k, v in sites.get("eye_sides", {}).items()}
        self.eye_sides = eye_sides
        self.eye_side = (  # written as shorthand: case-sensitive, a word of its own
            re.compile(
                r"(?<![\w.])(?:"
                + "|".join(re.escape(k) for k in sorted(eye_sides, key=len, reverse=True))
                + r")(?![\w])"
            )
            if eye_sides
            else NEVER
        )
        self.eye_routes = (
            re.compile(r"(?<!\w)(?:" + alternation(sites.get("eye_routes", ())) + r")(?!\w)", re.I)
            if sites.get("eye_routes")
            else NEVER
        )
        self.route_by_site_word = {
            str(word).lower(): route
            for route, words in routes["implied_by_site_words"].items()
            for word in words
        }
        by_part = routes.get("implied_by_body_part", {})
        self.route_by_body_part = {
            str(form).lower(): route for route, forms in by_part.items() for form in forms
        }
        by_class = routes.get("implied_by_body_part_for_classes", {})
        self.body_part_classes = _words(by_class.get("classes", ()))
        self.route_by_class_body_part = {
            str(form).lower(): route
            for route, forms in by_class.items()
            if route != "classes"
            for form in forms
        }
        anaphora = [re.escape(str(f)) for f in routes.get("site_anaphora", ())]
        self.site_anaphora = re.compile(
            r"\b(?:" + "|".join(anaphora) + r")\b" if anaphora else r"(?!)", re.I
        )
        self.anaphora_sentences = int(routes.get("anaphora_sentences", 0))
        self.only_label_route = frozenset(routes.get("only_label_route", ()))
        self.route_naming_words = _words(routes.get("route_naming_words", ()))
        self.route_list_joiners = _words(routes.get("route_list_joiners", ()))
        self.sedation_routes = _words(routes.get("sedation_routes", ()))
        self.injected_words = _words(routes.get("injected_words", ()))
        self.route_if_unstated = {
            str(drug).lower(): route
            for route, drugs in (routes.get("drug_route_if_unstated") or {}).items()
            for drug in drugs
        }
        self.route_always = {
            str(drug).lower(): route
            for route, drugs in (routes.get("drug_route_always") or {}).items()
            for drug in drugs
        }
        self.route_always_replaces = frozenset(routes.get("drug_route_always_replaces", ()))
        self.injection_routes = frozenset(spec["injection_routes"])
        self.history_sections = frozenset(spec.get("history_sections", ()))
        self.history_unless_dosed = frozenset(spec.get("history_sections_unless_dosed", ()))
        self.history_stop_words = _words(spec["words"].get("history_stop_words", ()))
        self.infer_iv_only_route = bool(spec.get("infer_iv_only_route", True))
        words = spec["words"]
        self.shared_heads = {
            str(head).lower(): tuple(str(s).lower() for s in singulars)
            for head, singulars in (spec.get("shared_heads") or {}).items()
        }
        led = spec.get("heads_before") or {}
        self.heads_before = {
            str(head).lower(): tuple(str(s).lower() for s in singulars)
            for head, singulars in (led.get("heads") or {}).items()
        }
        self.heads_before_leads = frozenset(str(w).lower() for w in led.get("leads", ()))
        self.heads_before_window = int(led.get("window_tokens", 0))
        self.heads_before_marks = frozenset(str(w).lower() for w in led.get("item_marks", ()))
        self.generic_of_name = {
            str(name).lower(): d["generic"] for d in drugs["drugs"] for name in d["names"]
        }
        self.unnamed_class_words = frozenset(words.get("unnamed_class", ()))
        self.unnamed_class_qualifiers = frozenset(words.get("unnamed_class_qualifiers", ()))
        self.titled_block_words = frozenset(words.get("titled_block", ()))
        self.standing_list_words = frozenset(
            w.lower() for w in (*words.get("standing_list", ()), *self.unnamed_class_words)
        )
        self.class_naming_words = frozenset(words.get("class_naming", ()))
        self.unnamed_class_admin = frozenset(words.get("unnamed_class_admin", ()))
        self.negators = frozenset(words["negators"])
        self.negated_findings = frozenset(w.lower() for w in words.get("negated_findings", ()))
        self.list_joiners = frozenset(words.get("list_joiners", ()))
        self.report_medication_sections = frozenset(words.get("report_medication_sections", ()))
        self.report_sedation_classes = frozenset(words.get("report_sedation_classes", ()))
        self.report_title_sections = frozenset(words.get("report_title_sections", ()))
        self.charted_list_sections = frozenset(words.get("charted_list_sections", ()))
        self.locatives = frozenset(words["locatives"])
        self.site_findings = frozenset(words.get("site_findings", ()))
        self.comparison_findings = frozenset(words.get("comparison_findings", ()))
        self.side_nouns = frozenset(words.get("side_nouns", ()))
        self.side_joiners = frozenset(words.get("side_joiners", ()))
        self.system_headings = frozenset(words.get("system_headings", ()))
        self.bracket_shared_modifiers = frozenset(words.get("bracket_shared_modifiers", ()))
        self.condition_word_blockers = frozenset(words.get("condition_word_blockers", ()))
        self.not_condition_words = frozenset(words.get("not_condition_words", ()))
        self.near_blockers = frozenset(words.get("near_blockers", ()))
        self.history_headings = frozenset(words.get("history_headings", ()))
        self.infused_words = frozenset(words.get("infused", ()))
        self.lab_before_range = frozenset(words.get("lab_before_range", ()))
        self.second_route_lead = frozenset(words.get("second_route_lead", ()))
        self.second_route_not_before = frozenset(words.get("second_route_not_before", ()))
        self.finding_stops = frozenset(words.get("finding_stops", ()))
        self.not_a_diagnosis = frozenset(words["not_a_diagnosis"])
        # words that make a condition on the opening lines no reason for today's drug: a
        # negation, a history or a family word (attributes._affirmed)
        self.condition_blockers = self.not_a_diagnosis | self.condition_word_blockers
        self.group_words = frozenset(words["group"])
        self.infusion_words = frozenset(words["infusion"])
        self.electrolyte_running = frozenset(words.get("electrolyte_running", ()))
        self.stress_agents = frozenset(words.get("stress_agents", ()))
        self.stress_dose_after = frozenset(words.get("stress_dose_after", ()))
        self.infusion_not_after = frozenset(words.get("infusion_not_after", ()))
        self.drip_route_words = frozenset(words.get("drip_route_words", ()))
        self.injected_words = frozenset(words.get("injected_after_drug", ()))
        self.first_dose_words = frozenset(words.get("first_dose_here", ()))
        self.first_dose_place = frozenset(words.get("first_dose_place", ()))
        self.first_dose_of_regimen = frozenset(words.get("first_dose_of_regimen", ()))
        self.wash_route_words = frozenset(words.get("wash_route_words", ()))
        self.bolus_infusion_route_words = frozenset(words.get("bolus_infusion_route_words", ()))
        self.dose_drip_route_words = frozenset(words.get("dose_drip_route_words", ()))
        self.drip_bolus_routes = frozenset(words.get("drip_bolus_routes", ()))
        self.drip_bolus_not_with = frozenset(words.get("drip_bolus_not_with", ()))
        self.drip_bolus_not_after = frozenset(words.get("drip_bolus_not_after", ()))
        self.infusion_not_across = frozenset(words.get("infusion_not_across", ()))
        self.infusion_object_words = frozenset(words.get("infusion_object_words", ()))
        self.own_predicate_words = frozenset(words.get("own_predicate_words", ()))
        self.state_admin_cues = frozenset(
            " ".join(w.lower().split()) for w in words.get("state_admin_cues", ())
        )
        self.state_cue_given_before = frozenset(words.get("state_cue_given_before", ()))
        self.object_next_admin_cues = frozenset(words.get("object_next_admin_cues", ()))
        self.infusion_object_joiners = frozenset(words.get("infusion_object_joiners", ()))
        self.infusion_shared = frozenset(words.get("infusion_shared", ()))
        self.given_by_name = frozenset(words.get("given_by_name", ()))
        self.another_dose = frozenset(words.get("another_dose", ()))
        self.dose_time_words = frozenset(words.get("dose_time_words", ()))
        self.given_today = frozenset(words.get("given_today", ()))
        self.coverage_classes = frozenset(words.get("coverage_classes", ()))
        self.single_injection_words = frozenset(words.get("single_injection", ()))
        self.bolus_words = frozenset(w.lower() for w in words.get("bolus", ()))
        self.drug_before_not_if = frozenset(words.get("drug_before_not_if", ()))
        self.fluid_words = frozenset(w.lower() for w in words.get("fluid_words", ()))
        self.fluid_of_not_across = frozenset(
            w.lower() for w in words.get("fluid_of_not_across", ())
        )
        self.amount_unnamed_units = frozenset(words.get("amount_unnamed_units", ("mEq", "g")))
        self.weak_admin_words = frozenset(words.get("weak_admin", ()))
        self.sentence_admin_openers = frozenset(words.get("sentence_admin_openers", ()))
        self.sentence_admin_lead_words = frozenset(words.get("sentence_admin_lead_words", ()))
        self.admin_opener_drug_not_if = frozenset(words.get("admin_opener_drug_not_if", ()))
        self.infusion_need_words = frozenset(words.get("infusion_need_words", ()))
        self.asked_for_words = frozenset(str(w).lower() for w in words.get("asked_for", ()))
        self.coverage_cue_words = frozenset(
            str(w).lower()
            for w in [*(spec.get("coverage") or {}).get("cues", ()), *words.get("course_cues", ())]
        )
        self.admixture_treatment_classes = frozenset(words.get("admixture_treatment_classes", ()))
        self.not_dose_after = frozenset(words.get("not_dose_after", ()))
        self.dose_of_words = frozenset(words.get("dose_of_words", ()))
        self.not_dose_before = frozenset(words.get("not_dose_before", ()))
        self.balance_signs = frozenset(words.get("balance_signs", ()))
        self.route_alternation = frozenset(words.get("route_alternation", ()))
        self.repeat_lead = frozenset(words.get("repeat_lead", ()))
        self.repletion_standing_cues = frozenset(
            str(w).lower() for w in words.get("repletion_standing_cues", ())
        )
        contextual = spec.get("contextual_names", {})
        self.contextual = ContextualNames(
            generic_of={
                str(w).lower(): generic
                for generic, forms in contextual.get("names", {}).items()
                for w in forms
            },
            cues=_words(contextual.get("cues", ())),
            joiners=_words(contextual.get("joiners", ())),
            window_tokens=int(contextual.get("window_tokens", 0)),
            dosed={
                entry["generic"]: _words(
                    [*entry.get("before_dose", ()), *entry.get("after_dose", ())]
                )
                for entry in spec.get("dosed_names", ())
            },
            dosed_units={
                entry["generic"]: frozenset(
                    unit.lower()
                    for unit, forms in files["lexicons/units.yaml"]["units"].items()
                    if {str(f).lower() for f in forms} & _words(entry.get("units", ()))
                )
                for entry in spec.get("dosed_names", ())
            },
            regimen_leads=_words(contextual.get("regimen_leads", ())),
            regimen_lead_tokens=int(contextual.get("regimen_lead_tokens", 0)),
            after_number=_words(contextual.get("after_number", ())),
            dosed_verbs=_words(
                [
                    w
                    for entry in spec.get("dosed_names", ())
                    for w in entry.get("before_dose_verbs", ())
                ]
            ),
        )
        self.list_punctuation: str = spec["list_punctuation"]
        self.window = Windows(
            **spec["window"],
            followup_chars=int(cues["window"]["followup_chars"]),
            template_line_chars=int(cues["window"]["template_line_chars"]),
        )
        rx = {key: re.compile(value) for key, value in spec["regex"].items()}
        self.clock_time = rx["clock_time"]
        self.charted_time = rx.get("charted_time", NEVER)
        self.dose_of = rx["dose_of"]
        self.dose_of_other = rx.get("dose_of_other", NEVER)
        self.amount_of_next_drug = rx.get("amount_of_next_drug", NEVER)
        self.combined_with = rx.get("combined_with", NEVER)
        self.given_again = rx.get("given_again", NEVER)
        self.heading_line_end = rx.get("heading_line_end", NEVER)
        self.repeat_word = rx.get("repeat_word", NEVER)
        self.repletion_standing_after = rx.get("repletion_standing_after", NEVER)
        self.clock_list = rx.get("clock_list", NEVER)
        self.later_day = rx.get("later_day", NEVER)
        self.risk_listing = rx.get("risk_listing", NEVER)
        self.bare_amount = rx.get("bare_amount", NEVER)
        self.unnamed_class_infused = rx.get("unnamed_class_infused", NEVER)
        self.class_course_gap = rx.get("class_course_gap", NEVER)
        self.induced_with_before = rx.get("induced_with_before", NEVER)
        self.strength_after = rx.get("strength_after", NEVER)
        self.strength_before = rx.get("strength_before", NEVER)
        self.refers_back = rx.get("refers_back", NEVER)
        self.order_line = rx.get("order_line", NEVER)
        self.infused_with_before = rx.get("infused_with_before", NEVER)
        self.infused_after = rx.get("infused_after", NEVER)
        self.stress_report = rx.get("stress_report", NEVER)
        self.stress_agent_lead = rx.get("stress_agent_lead", NEVER)
        self.above_medications_given = rx.get("above_medications_given", NEVER)
        self.record_route = rx.get("record_route", NEVER)
        self.over_duration = rx.get("over_duration", NEVER)
        self.over_minutes = rx.get("over_minutes", NEVER)
        self.skin_anaesthesia = rx.get("skin_anaesthesia", NEVER)
        self.hl7_diagnosis = rx.get("hl7_diagnosis", NEVER)
        self.json_diagnosis = rx.get("json_diagnosis", NEVER)
        self.evidence_declined_before = rx.get("evidence_declined_before", NEVER)
        self.assessment_statement = rx.get("assessment_statement", NEVER)
        self.coded_diagnosis = rx.get("coded_diagnosis", NEVER)
        self.visit_reason = rx.get("visit_reason", NEVER)
        self.complaint_statement = rx.get("complaint_statement", NEVER)
        self.demographic_diagnosis = rx.get("demographic_diagnosis", NEVER)
        self.patient_with = rx.get("patient_with", NEVER)
        self.dose_told = rx.get("dose_told", NEVER)
        self.vial_row = rx.get("vial_row", NEVER)
        self.drug_field = rx.get("drug_field", NEVER)
        self.route_field = rx.get("route_field", NEVER)
        self.log_diagnosis = rx.get("log_diagnosis", NEVER)
        self.heading_diagnosis = rx.get("heading_diagnosis", NEVER)
        self.lab_analyte_gap = rx.get("lab_analyte_gap", NEVER)
        self.opening_condition = rx.get("opening_condition", NEVER)
        self.problem_heading = rx.get("problem_heading", NEVER)
        self.condition_word = rx.get("condition_word", NEVER)
        self.injection_reason = rx.get("injection_reason", NEVER)
        self.export_diagnosis_columns = tuple(
            w.lower() for w in spec["words"].get("export_diagnosis_columns", ())
        )
        self.export_response_columns = tuple(
            w.lower() for w in spec["words"].get("export_response_columns", ())
        )
        # the acute findings of a timed log's entry, as whole words of lower-case text
        # (attributes.timed_finding; compiled once, not per anchor)
        findings = alternation(w.lower() for w in spec["words"].get("timed_findings", ()))
        self.timed_findings = (
            re.compile(r"(?<![\w-])(?:" + findings + r")(?![\w-])") if findings else None
        )
        # a column-aligned table's reaction header cells (attributes.row_response)
        self.row_reaction_columns = frozenset(
            w.lower() for w in spec["words"].get("row_reaction_columns", ())
        )
        self.repeat_counts: dict[str, int] = {
            **{w.lower(): 2 for w in spec["words"].get("repeat_two", [])},
            **{w.lower(): 3 for w in spec["words"].get("repeat_three", [])},
        }
        self.field_line = rx["field_line"]
        self.side_line = rx["side_line"]
        self.admixture = rx["admixture"]
        self.blank_line = rx["blank_line"]
        self.rate = rx["rate"]
        self.bag_after = rx.get("bag_after", NEVER)
        self.bolus_left_out = rx.get("bolus_left_out", NEVER)
        self.infusion_before = rx["infusion_before"]
        self.range_after_drug = rx.get("range_after_drug", NEVER)
        self.infusion_only_rate = rx.get("infusion_only_rate", NEVER)
        self.infusion_only_started = rx.get("infusion_only_started", NEVER)
        self.infusion_only_start_before = rx.get("infusion_only_start_before", NEVER)
        self.another_amount = rx["another_amount"]
        self.dose_list_joiner = rx.get("dose_list_joiner", NEVER)
        self.dose_list_stop = rx.get("dose_list_stop", NEVER)
        self.clause_break = rx.get("clause_break", NEVER)
        self.own_start_before = rx.get("own_start_before", NEVER)
        self.regimen_before_drug = rx.get("regimen_before_drug", NEVER)
        self.drip_clause_goes_on = rx.get("drip_clause_goes_on", NEVER)
        self.bolus_before = rx.get("bolus_before", NEVER)
        self.bolus_after = rx.get("bolus_after", NEVER)
        self.bolus_raised = rx.get("bolus_raised", NEVER)
        self.repeat = rx["repeat"]
        self.repeated_more = rx.get("repeated_more", NEVER)
        self.correction = rx.get("correction", NEVER)
        self.correction_above = rx.get("correction_above", NEVER)
        # sentence phrases that tell a drug was not given (``not_given_phrases``):
        # (name, medication or "drip", compiled expression, expression that may not come
        # between the drug and the phrase)
        self.not_given_phrases = tuple(
            (
                item["name"],
                item["medication"],
                re.compile(item["regex"]),
                re.compile(item["unless_between"]) if item.get("unless_between") else NEVER,
            )
            for item in spec.get("not_given_phrases", ())
        )
        self.dose_number = rx.get("dose_number", NEVER)
        self.log_date = rx.get("log_date", NEVER)
        self.each_of_count = rx.get("each_of_count", NEVER)
        self.mar_row = rx.get("mar_row", NEVER)
        self.log_cell_date = rx.get("log_cell_date", NEVER)
        self.dose_correction = rx.get("dose_correction", NEVER)
        self.slash_bare_amount = rx.get("slash_bare_amount", NEVER)
        self.slash_amount_lead = rx.get("slash_amount_lead", NEVER)
        self.spaced_row = rx.get("spaced_row", NEVER)
        self.timed_entry = rx.get("timed_entry", NEVER)
        self.dated_admin = rx.get("dated_admin", NEVER)
        self.visit_date = rx.get("visit_date", NEVER)
        self.log_today = rx.get("log_today", NEVER)
        self.log_day_label = rx.get("log_day_label", NEVER)
        # a log line's state (auditor.extraction.logs): longest state first
        words, mods = spec["words"], spec["modifiers"]
        self.log_state_field = _state_field(words.get("log_state_fields", ()))
        self.log_state_columns = frozenset(w.lower() for w in words.get("log_state_fields", ()))
        not_given = tuple(mods.get("log_not_given", ()))
        order = tuple(mods.get("log_order", ()))
        states = [(w.lower(), not_given) for w in words.get("log_not_given_states", ())]
        states += [(w.lower(), order) for w in words.get("log_order_states", ())]
        history = tuple(mods.get("log_history", ()))
        states += [(w.lower(), history) for w in words.get("log_history_states", ())]
        states += [
            (w.lower(), tuple(mods.get("self_log", ()))) for w in words.get("log_self_states", ())
        ]
        self.log_states: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
            sorted(states, key=lambda item: len(item[0]), reverse=True)
        )
        self.self_log_title = rx.get("self_log_title", NEVER)
        self.self_log_mods: tuple[str, ...] = tuple(mods.get("self_log", ()))
        self.version_header = rx.get("version_header", NEVER)
        self.superseded_mods: tuple[str, ...] = tuple(mods.get("superseded", ()))
        self.divided_dose = rx.get("divided_dose", NEVER)
        self.repeat_total = rx["repeat_total"]
        self.dose_lead = rx["dose_lead"]
        self.effect_before_dose = rx.get("effect_before_dose", NEVER)
        self.effect_before_drug = rx.get("effect_before_drug", NEVER)
        self.symptom_better_before_drug = rx.get("symptom_better_before_drug", NEVER)
        self.effect_verb_before_drug = rx.get("effect_verb_before_drug", NEVER)
        self.extra_dose = rx.get("extra_dose", NEVER)
        self.dose_range_before = rx["dose_range_before"]
        self.emergency_note = rx["emergency_note"]
        self.doses_before = rx["doses_before"]
        self.count_named_before = rx.get("count_named_before", NEVER)
        self.count_named_after = rx.get("count_named_after", NEVER)
        self.total_before = rx["total_before"]
        self.total_of = rx.get("total_of", NEVER)
        self.route_share_joiner = rx.get("route_share_joiner", NEVER)
        self.dose_total_after = rx.get("dose_total_after", NEVER)
        self.treated_for_with = rx.get("treated_for_with", NEVER)
        self.report_list_schedule = rx.get("report_list_schedule", NEVER)
        self.report_opening = rx.get("report_opening", NEVER)
        self.mixture_dose = rx.get("mixture_dose", NEVER)
        self.history_title = rx["history_title"]
        self.admission_told = rx.get("admission_told", NEVER)
        self.night_note = rx.get("night_note", NEVER)
        self.tolerated_dose_of = rx.get("tolerated_dose_of", NEVER)
        self.tolerated_drug_before = rx.get("tolerated_drug_before", NEVER)
        self.tolerated_drug_today_after = rx.get("tolerated_drug_today_after", NEVER)
        self.visit_for_drug = rx.get("visit_for_drug", NEVER)
        self.day_note = rx.get("day_note", NEVER)
        self.stay_told = rx.get("stay_told", NEVER)
        self.additive_roles = frozenset(spec["words"].get("additive_roles", ()))
        self.additive_joiners = frozenset(spec["words"].get("additive_joiners", ()))
        self.course_title = rx.get("course_title")
        self.course_controlled = rx.get("course_controlled")

    def injection_only(self, generic: str | None, name: str = "") -> bool:
        """Is the drug given only by injection (its first word in ``cues.yaml``
        ``context.injection_only``: insulin, heparin, ceftriaxone...), or is ``name`` (the
        mention's words) an injection-only product of a drug that also has an oral form
        (``context.injection_only_names``: Depo-Provera, Solu-Medrol)? Its mention is about an
        injection even without a route ("no sliding-scale insulin needed"), or is its lexicon
        class one with no oral form (``context.injection_only_classes``: immune globulins,
        monoclonal antibodies, colony-stimulating factors: "declined RhoGAM")?"""
        if name and name.lower() in self.injection_only_names:
            return True
        if self.drugs.get(generic or "", {}).get("class") in self.injection_only_classes:
            return True
        return bool(generic) and self.family_of(generic or "") in self.injection_only_families

    def has_oral_form(self, generic: str | None, name: str = "") -> bool:
        """Is the drug commonly given by mouth in hospital notes (its first word in ``cues.yaml``
        ``context.oral_forms``: lorazepam, furosemide, metoprolol...) and ``name`` (the mention's
        words) no injection-only product of it (``context.injection_only_names``: Haldol
        Decanoate)? A route-less negated or planned mention of it says nothing of an injection."""
        return (
            generic is not None
            and self.family_of(generic) in self.oral_form_families
            and not self.injection_only(generic, name)
        )

    def post_mortem(self, text: str) -> bool:
        """Is the note a post-mortem (autopsy) report (``cues.yaml``
        ``context.post_mortem_report``)? The care it tells was given in another encounter."""
        return self.post_mortem_re is not None and bool(self.post_mortem_re.search(text))

    def veterinary(self, text: str) -> bool:
        """Is the note a veterinary record (``cues.yaml`` ``context.veterinary_record``: "Pet
        Wellness Clinic", "Owner:")? It tells an animal's care: no human patient's injection."""
        return self.veterinary_re is not None and bool(self.veterinary_re.search(text))

    def role(self, category: str | None) -> str | None:
        """The audit role of a section category (``section_rules.json`` ``roles``), or None."""
        return self.role_of.get(category) if category else None

    def family_of(self, generic: str) -> str:
        """The first word of a generic name ("insulin regular" -> "insulin")."""
        return generic.split(" ", 1)[0]

    def is_family(self, a: str, b: str) -> bool:
        """Is one of two generics the bare family name of the other ("insulin" and "insulin
        regular")?"""
        return a == self.family_of(b) or b == self.family_of(a)

    def excluded_kind(self, generic: str | None) -> bool:
        """Vaccines, allergen extracts and chemotherapy are injections whatever the wording."""
        return bool(self.drugs.get(generic or "", {}).get("exclusion"))


def _state_field(fields: list[str]) -> re.Pattern[str]:
    """The state-field pattern of ``words.log_state_fields``: a field name as a whole word,
    then a colon or an equals sign."""
    names = sorted((re.escape(f).replace(r"\ ", r"\s+") for f in fields), key=len, reverse=True)
    if not names:
        return NEVER
    return re.compile(r"(?i)(?<![\w-])(?:" + "|".join(names) + r")\s*[:=]")
