"""Tokenizer tweaks for clinical shorthand, applied to spaCy's blank English tokenizer.

The tweaks are rules, kept in ``patterns/tokenizer/tokenizer.yaml`` (versioned and checked
by its schema, every regex compiled and checked for nested repetition at load): infixes,
prefixes and suffixes added to spaCy's own (a number glued to its unit, "80mg"; a brand glued
to its strength, "Kenalog-40"; the arrows, equals signs, semicolons, glued periods and dashes
of nursing shorthand; a repeat count glued to its word, "IVx2"; ...), a guard put at the start
of spaCy's URL match (two lower-case words glued by a period are no web address) and the
removal of apostrophe-less contraction exceptions ("Im", "Id": the routes IM and ID), so that
lexicon names and unit cues match whole tokens however the note spaces them. The file's
comments give an example of each rule.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from ..patterns import load_patterns

RULE_FILE = "tokenizer/tokenizer.yaml"


def tokenizer_rules(patterns_dir: str | None = None) -> dict[str, Any]:
    """The parsed, validated ``tokenizer/tokenizer.yaml`` of a patterns folder (``None``:
    ``$AUDITOR_PATTERNS`` or the bundled one; see ``patterns.load_patterns``).

    Raises:
        PatternError: a rule file is missing or invalid.
    """
    return load_patterns(patterns_dir).tokenizer


def customize_tokenizer(nlp: Language, rules: dict[str, Any] | None = None) -> None:
    """Add the ``infixes``, ``prefixes`` and ``suffixes`` of ``rules`` (a parsed
    ``tokenizer/tokenizer.yaml``; None: ``tokenizer_rules()``) to ``nlp.tokenizer``, put
    their ``url_guard`` at the start of its URL match and, with ``drop_letter_exceptions``,
    drop every exception whose key is letters only and that splits into several tokens (spaCy
    splits "Im" and "Id" as contractions, I'm and I'd; in notes they are the routes IM and
    ID), in place. Apply it once, to a tokenizer built from ``nlp.Defaults``.
    """
    if rules is None:
        rules = tokenizer_rules()
    infixes = list(nlp.Defaults.infixes) + list(rules["infixes"])
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    prefixes = list(nlp.Defaults.prefixes) + list(rules["prefixes"])
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    suffixes = list(nlp.Defaults.suffixes) + list(rules["suffixes"])
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    guard = rules.get("url_guard")
    url_match = nlp.tokenizer.url_match
    if guard and url_match is not None and guard not in url_match.__self__.pattern:
        url = url_match.__self__
        flags = re.match(r"(?:\(\?[a-zA-Z]+\))*", url.pattern).end()  # "(?u)" stays first
        pattern = url.pattern[:flags] + guard + url.pattern[flags:]
        nlp.tokenizer.url_match = re.compile(pattern, url.flags).match
    if rules["drop_letter_exceptions"]:
        nlp.tokenizer.rules = {
            key: value
            for key, value in nlp.tokenizer.rules.items()
            if not (key.isalpha() and len(value) > 1)
        }
