"""A fast rule-based sentence splitter for clinical notes.

Lines are sentences (notes are line-oriented: headings, bullets, MAR rows, field: value
templates), except that a hard-wrapped line continues when it ends without punctuation and
the next line starts in lower case. Inside a line, ``.``, ``!``, ``?`` and ``;`` end a
sentence. The scope of every ConText modifier is one of these sentences.
"""


from spacy.language import Language
from spacy.tokens import Doc

SENTENCE_END = {".", "!", "?", ";"}
WRAP_MIN_LINE = 40  # chars: shorter lines are headings or list items, never wrapped prose


@Language.factory("auditor_sentences", default_config={})
def make_sentences(nlp: Language, name: str) -> "ClinicalSentencizer":
    return ClinicalSentencizer()


class ClinicalSentencizer:
    """Sets ``token.is_sent_start`` for every token of a Doc (see module docstring)."""

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        text = doc.text
        line_start = 0
        previous_break = True
        for token in doc:
            start = previous_break
            previous_break = False
            if token.is_space and "\n" in token.text:
                # decide whether the next token starts a new sentence
                line = text[line_start : token.idx].rstrip()
                line_start = token.idx + len(token.text)
                nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
                wrapped = (
                    token.text.count("\n") == 1
                    and len(line) >= WRAP_MIN_LINE
                    and line[-1:] not in ".:;!?|"
                    and "\t" not in line
                    and line.count("|") < 2
                    and nxt is not None
                    and nxt.text[:1].islower()
                )
                previous_break = not wrapped
            elif token.text in SENTENCE_END or (token.is_punct and token.text[-1:] == "."):
                previous_break = True
            token.is_sent_start = start if token.i else True
        return doc
