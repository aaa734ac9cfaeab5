"""ConText on CONDITION targets, for the NegEx benchmark (``negex_context.py``) and its
tests only: the audit itself never builds it, so its rules
(``patterns/context/condition_rules.json``) are read here, validated like every pattern
file, and do not enter the run's pattern hash."""

from __future__ import annotations

from typing import Any

from medspacy.context import ConText, ConTextRule
from spacy.language import Language

from auditor.patterns import load_pattern_file
from auditor.pipeline.mentions import MENTIONS_KEY

RULES_FILE = "context/condition_rules.json"


def condition_rules(patterns_dir: str | None = None) -> dict[str, Any]:
    """The validated ``context/condition_rules.json`` of ``patterns_dir`` (default:
    ``$AUDITOR_PATTERNS`` or the bundled folder).

    Raises:
        PatternError: the file is missing or fails its schema.
    """
    return load_pattern_file(RULES_FILE, patterns_dir)


def _patterns_dir(nlp: Language) -> str | None:
    """The patterns folder ``nlp`` was built from (None: the bundled one)."""
    if "auditor_context" in nlp.pipe_names:
        return nlp.get_pipe_config("auditor_context").get("patterns_dir")
    return None


def condition_context(nlp: Language, rules: list[dict[str, Any]], name: str) -> ConText:
    """medspaCy ConText for CONDITION targets: medspaCy's default English rules plus
    ``rules`` (``patterns/context/condition_rules.json``). Kept apart from the drug rules
    because ConText lets only one of two overlapping triggers act, whatever their types.

    Two optional keys of that file (read from the patterns folder ``nlp`` was built from)
    shape it: ``drop_default`` lists literals of default rules not to load (a default
    trigger that misfires, or that a project rule replaces), and ``context_options`` holds
    ConText keyword options, e.g. ``terminating_types`` (a category -> the categories that
    end its scope: HISTORICAL ended by HISTORICAL_END, a PSEUDO-direction trigger that ends
    history scopes only, where a TERMINATE rule would end every scope) and
    ``prune_on_target_overlap`` (a trigger overlapping a target, e.g. inside it, modifies
    nothing: medspaCy's own overlap test misses a target that strictly contains it)."""
    spec = condition_rules(_patterns_dir(nlp))
    context = ConText(
        nlp,
        name=name,
        rules=None,
        input_span_type="group",
        span_group_name=MENTIONS_KEY,
        **spec.get("context_options", {}),
    )
    drop = {literal.lower() for literal in spec.get("drop_default", ())}
    defaults = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
    context.add([rule for rule in defaults if rule.literal.lower() not in drop])
    context.add([ConTextRule(**rule) for rule in rules])
    return context
