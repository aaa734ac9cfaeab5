"""The base of the pipeline's rule-holding spaCy components (``build.py`` module docstring):
built empty, rules read in ``initialize()`` from a patterns folder, saved as plain JSON with
``to_disk``/``to_bytes``."""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path

from ..patterns import Patterns, load_patterns
from .mentions import ANCHOR_LABELS, MENTIONS_KEY

RULES_FILE = "rules.json"  # what a rule component's to_disk writes


def has_anchor(doc: Doc) -> bool:
    """True when the Doc has a DRUG, INJECTION or ROUTE mention (worth the full pipeline)."""
    return any(span.label_ in ANCHOR_LABELS for span in doc.spans.get(MENTIONS_KEY, ()))


class RuleComponent:
    """A gated spaCy component whose rules are plain JSON data (see the module docstring).

    Subclasses say which rules they take from a patterns folder (``rules_from``) and how
    they build themselves from those rules (``load``). Docs without an anchor pass through.

    Args:
        nlp, name: as for every spaCy factory.
        patterns_dir: the patterns folder ``initialize`` reads (None: ``$AUDITOR_PATTERNS``
            or the bundled one).
    """

    def __init__(self, nlp: Language, name: str, patterns_dir: str | None) -> None:
        self.nlp = nlp
        self.name = name
        self.patterns_dir = patterns_dir
        self.rules: Any = None

    def rules_from(self, patterns: Patterns) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def load(self, rules: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def process(self, doc: Doc) -> Doc:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, doc: Doc) -> Doc:
        if self.rules is None:
            raise ValueError(f"{self.name} has no rules: call nlp.initialize() first")
        return self.process(doc) if has_anchor(doc) else doc

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        patterns_dir: str | None = None,
    ) -> None:
        """(Re)load the rules from ``patterns_dir``, else from the folder of the config.

        Raises:
            PatternError: the folder's rule files are missing or invalid.
        """
        self.load(self.rules_from(load_patterns(patterns_dir or self.patterns_dir)))

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.json_dumps(self.rules).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "RuleComponent":
        self.load(srsly.json_loads(data))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / RULES_FILE, self.rules)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "RuleComponent":
        self.load(srsly.read_json(ensure_path(path) / RULES_FILE))
        return self
