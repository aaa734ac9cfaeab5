"""Tokenizer tweaks for clinical shorthand, applied to spaCy's blank English tokenizer.

Splits a number glued to its unit ("80mg" -> "80", "mg"; "5,000u" -> "5,000", "u") and a
brand glued to its strength ("Kenalog-40" -> "Kenalog", "-", "40"), and the arrows, equals
signs and semicolons of nursing shorthand ("agitated->haldol", "ENDO=BS", "COMFORT;MSO4"), a
period glued between two capitalised words ("PENDING.MAG") or two lower-case ones
("off.medicated"), or glued before the next word after
a space ("MSO4 .NEG 2500": the sentence ends there), a dash glued before a word after a space
("gd -diuresing") or after a word before a space ("results- much"), an arrow glued before a
word after a space ("afib ->amiodarone"), a repeat count glued to the word before it ("IVx2",
"givenX3"), a unit glued before a drug's name ("15mmKPhos"), a word glued after an
electrolyte's plus signs ("K+REPLETED") and an at-sign glued to a clock time ("sq@0200",
"2mg@0400"), so that lexicon names and unit cues match whole tokens however the note spaces
them.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

EXTRA_INFIXES = (
    # 80mg, 1000mcg, 0.5mL, 1%; not an ordinal's ending ("3rd intermetatarsal space", "2ND dose":
    # "rd" alone would read as the right deltoid)
    r"(?<=[0-9])(?!(?:[sS][tT]|[nN][dD]|[rR][dD]|[tT][hH])(?![A-Za-z]))(?=[A-Za-z\u00b5\u03bc%])",
    r"(?<=[A-Za-z])-(?=[0-9])",  # Kenalog-40
    r"(?<=[A-Za-z])\.(?=[A-Z][a-z])",  # given.Tolerated
    # "drip was off.medicated with haldol": a period glued between two lower-case words of three
    # letters or more (the space after it left out); "a.m.", "p.o.", "i.v." keep their points
    r"(?<=[a-z]{3})\.(?=[a-z]{3})",
    r"(?<=[0-9A-Za-z])/(?=[A-Za-z])",  # mg/mL, mg/dL as three tokens
    r"(?<=[A-Za-z]{2})/(?=[0-9])",  # "6u reg/40u nph": a list of doses
    r"(?<=[A-Za-z]{2})\+(?=[A-Za-z])",  # "CALCIUM+K": a list (but "K+" stays one token)
    r"(?<![A-Za-z]{2}\+)(?<=[A-Za-z]\+)(?=[A-Za-z]{3})",  # "K+REPLETED": "K+", "REPLETED"
    r"(?<=[A-Za-z]\+\+)(?=[A-Za-z]{3})",  # "MG++REPLACED": "MG++", "REPLACED"
    r"[\u00a0\u202f\u2007]",  # non-breaking spaces inside "60 mg"
    r"(?<=[A-Za-z0-9])[\[\]\(\)](?=[A-Za-z0-9])",  # Rho(D), [x]IM
    # a bracket glued to a word of another script: a drug's local name with its English name
    # in brackets ("<Korean name>(dexamethasone)", full-width "\uff08...\uff09" too; tk-051)
    r"(?<=[^\W\d_])[\(\uff08](?=[A-Za-z])",
    r"(?<=[A-Za-z])[\)\uff09](?=[^\W_])",
    r"(?<=[A-Za-z.)])[,;](?=[A-Za-z0-9,])",  # "history.,PLAN" (flattened exports)
    r"(?<=[0-9])[,;](?=[A-Za-z,])",  # "2026-12-03,Outpatient", "60,MG,IM" (CSV cells)
    r"\|",  # "IV PUSH|L AC|NAUSEA": the cells of a pipe-delimited export or HL7 segment
    r"(?<=[A-Za-z0-9])\^(?=[A-Za-z0-9^])",  # "IM^Intramuscular^HL70162" (HL7 components)
    r"(?<=[A-Za-z]):(?=[,;0-9A-Za-z])",  # "PLAN:,1." and "Site:R delt", never "10:40"
    r"(?<=[A-Za-z0-9.)%])(?:-+>|=+>|<-+|=)(?=[A-Za-z0-9(])",  # "agitated->haldol", "ENDO=BS"
    r"(?<=[A-Z]{2})\.(?=[A-Z]{2})",  # "LABS REDRAWN.MG,PHOS+K REPLETED" (all capitals)
    r"(?<=[A-Za-z][0-9])\.(?=[A-Za-z]{2})",  # "2 MG MSO4.CURRENTLY": a name ending in a digit
    r"(?<=[A-Za-z])\.(?=[,;])",  # "Atropine 0.6 mg IM.,4." (flattened numbered lists)
    r"(?<=[A-Za-z]{2})(?=[xX][1-9](?![0-9A-Za-z]))",  # "IVx2", "givenX3": a repeat count
    r"(?<=[A-Za-z0-9])@(?=[0-9A-Za-z])",  # "sq@0200", "2mg@0400": at a clock time
    # a unit glued between its amount and the drug's name ("15mmKPhos", "2mgMorphine", "1mgIVP"):
    # the amount, the unit and the name as three tokens (a name of three letters or more, so
    # "10mmHg" and "5mmol" stay whole)
    r"(?<=[0-9][mM][mM])(?=[A-Za-z]{3})",
    r"(?<=[0-9][mM][gG])(?=[A-Za-z]{3})",
    r"(?<=[0-9][mM][cC][gG])(?=[A-Za-z]{3})",
    r"(?<=[0-9][mM][eE][qQ])(?=[A-Za-z]{3})",
)
# a period glued to the start of a word ("MSO4 .NEG 2500", "given .pt resting"): the
# period ends the sentence before the word (a number, ".5 mg", keeps its point); a dash glued
# to the start of a word after a space ("foley to gd -diuresing after lasix", "-pt calm"):
# a clause break of nursing shorthand, not part of the word (a negative number keeps its sign);
# an arrow glued to the start of a word after a space; a cell separator at the start of a word
# ("| IM |x|")
EXTRA_PREFIXES = (
    r"\.(?=[A-Za-z]{2})",
    r"-(?=[A-Za-z]{2})",
    # an arrow glued to the start of a word after a space ("runs of afib ->amiodarone 150mg",
    # "=>lasix"): the arrow of nursing shorthand ("then"), not part of the drug's name
    r"(?:-+>|=+>|\u2192)(?=[A-Za-z0-9(])",
    r"\|",
)
# a dash glued to the end of a word before a space ("with good effect- calmer now",
# "lasix- good diuresis"): the clause break of nursing shorthand, not part of the
# word, as a dash glued to a word's start is (a word of two letters or more, so "Kenalog-40"
# and "x-ray" inside a token are untouched)
# and a period glued after a decade's plural in capitals ("HR 80'S. BP 120S."): the sentence ends
# there (spaCy splits a final period after a lowercase letter or two capitals only, and keeps
# "S." whole as an initial)
EXTRA_SUFFIXES = (r"(?<=[A-Za-z]{2})-+", r"(?<=[0-9][sS])\.", r"(?<=[0-9]'[sS])\.")
# two lower-case words glued by a period with the space after it left out ("drip was
# off.medicated with haldol", "resting.vitals stable") look like a web address to spaCy's URL
# matcher, which then keeps them one token: such a token is no address unless the part after the
# point is a common top-level domain ("mtsamples.com")
GLUED_WORDS_NOT_URL = r"(?![a-z]{3,}\.(?!(?:com|org|net|edu|gov|info|biz)$)[a-z]{3,}$)"


def customize_tokenizer(nlp: Language) -> None:
    """Add ``EXTRA_INFIXES``, ``EXTRA_PREFIXES`` and ``EXTRA_SUFFIXES`` to ``nlp.tokenizer``,
    keep two lower-case words glued by a period out of its URL match (``GLUED_WORDS_NOT_URL``)
    and drop apostrophe-less contraction exceptions, in place.

    spaCy splits "Im" and "Id" as contractions (I'm, I'd); in notes they are the routes IM
    and ID, so every exception whose key is letters only and splits into several tokens is
    removed.
    """
    infixes = list(nlp.Defaults.infixes) + list(EXTRA_INFIXES)
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    prefixes = list(nlp.Defaults.prefixes) + list(EXTRA_PREFIXES)
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    suffixes = list(nlp.Defaults.suffixes) + list(EXTRA_SUFFIXES)
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    url_match = nlp.tokenizer.url_match
    if url_match is not None and GLUED_WORDS_NOT_URL not in url_match.__self__.pattern:
        url = url_match.__self__
        flags = re.match(r"(?:\(\?[a-zA-Z]+\))*", url.pattern).end()  # "(?u)" stays first
        pattern = url.pattern[:flags] + GLUED_WORDS_NOT_URL + url.pattern[flags:]
        nlp.tokenizer.url_match = re.compile(pattern, url.flags).match
    nlp.tokenizer.rules = {
        key: value
        for key, value in nlp.tokenizer.rules.items()
        if not (key.isalpha() and len(value) > 1)
    }
