"""Event extraction as plain Python (no spaCy): contract section 1-3.

``extract_note(NoteView, ExtractionRules) -> Extraction``. The spaCy component
``auditor.pipeline.events.EventExtractor`` builds the ``NoteView`` from a Doc and stores
``Extraction.to_dict()`` in ``doc.user_data["auditor"]``.

Modules, one job each: ``view`` (the note as plain data), ``rules`` (the compiled pattern
files), ``anchors`` (what can be an event), ``segments`` (whose words are whose), ``given``
(the "given now?" decision and the rule that decided it), ``attributes`` (route, dose,
indication, response, provider, evidence with their spans), ``sites`` (site and
laterality), ``merging`` (drug-less entries, repeated mentions), ``event`` (the results),
``extract`` (the steps in order).
"""

from .event import ELEMENTS, Event, Extraction, NotGiven
from .extract import extract_note
from .rules import RULE_FILES, ExtractionRules
from .view import Mention, NoteView, Section, Sentence

__all__ = [
    "ELEMENTS",
    "RULE_FILES",
    "Event",
    "Extraction",
    "ExtractionRules",
    "Mention",
    "NotGiven",
    "NoteView",
    "Section",
    "Sentence",
    "extract_note",
]
