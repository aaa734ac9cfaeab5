"""The note record that flows from readers to the core: decoding, text clean-up, tallies."""

from __future__ import annotations

import codecs
import html.entities
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

# the contract columns live in ``auditor.frames`` (re-exported here for older imports)
from .frames import EVENT_COLUMNS, EVIDENCE_FIELDS, NOTE_COLUMNS, is_missing  # noqa: F401

if TYPE_CHECKING:
    from .patterns import Patterns


@dataclass
class NoteRecord:
    """One input record.

    Attributes:
        row: 1-based position in the input.
        note_id: from the id column or file stem; ``str(row)`` when there is none.
        text: the note text, or None when it could not be read.
        error: why the record could not be read (never contains note text), else None.
        encoding: how the text bytes were decoded (see ``Text``), None for ``str`` input.
        extra: other input columns, kept for grouping.
        setting: the setting given by the input's setting column (contract section 2b),
            set by ``setting.SettingColumn``; None when there is no such column or value.
        facts: how the record was read, counted in ``run.json`` by ``InputTally``
            (``rtf_converted``, ``html_converted``, ``note_lines``, ...; values are counts).
    """

    row: int
    note_id: str
    text: str | None
    error: str | None = None
    encoding: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)
    setting: str | None = None


class Text(NamedTuple):
    """A decoded input cell.

    Attributes:
        text: the note text, or None when the cell cannot be read.
        error: why it cannot be read (names types, encodings and byte offsets, never
            note text), else None.
        encoding: how bytes were decoded (``utf-8``, ``cp1252``, ``utf-16``); None when
            the input already held a ``str`` or nothing could be decoded.
    """

    text: str | None
    error: str | None = None
    encoding: str | None = None


def decode_bytes(raw: bytes) -> Text:
    """Decode the raw bytes of one note (or one header cell).

    UTF-8 first (a leading BOM is dropped, so offsets index the text after it); a
    UTF-16 BOM selects UTF-16; otherwise Windows-1252, the usual encoding of Windows EHR
    exports (byte 0xB5 for the micro sign, 0x93/0x94 for smart quotes). Bytes that none
    of these decode give an error naming the offset of the first byte that is not UTF-8.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Text(raw.decode("utf-16"), None, "utf-16")
        except UnicodeDecodeError as exc:
            return Text(None, f"text is not valid UTF-16 (byte offset {exc.start})")
    try:
        return Text(raw.decode("utf-8-sig"), None, "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return Text(raw.decode("cp1252"), None, "cp1252")
    except UnicodeDecodeError:
        return Text(
            None, f"text is neither UTF-8 nor Windows-1252 (first bad byte at offset {first_bad})"
        )


def json_problem(exc: Any, with_line: bool = False) -> str:
    """Why text is not valid JSON, by position only, never content (a ``json.JSONDecodeError``):
    ``not valid JSON (Unterminated string starting at column 26)``, ``not valid JSON
    (Expecting value at line 4, column 1)`` with ``with_line`` (a whole file). The one wording
    of the JSON Lines, FHIR and review-decision readers."""
    where = f"line {exc.lineno}, column {exc.colno}" if with_line else f"column {exc.colno}"
    return f"not valid JSON ({exc.msg}{' ' if exc.msg.endswith(' at') else ' at '}{where})"


def coerce_text(value: Any) -> Text:
    """Turn a raw cell (str, bytes, None, NaN, number, ...) into note text.

    Returns:
        a ``Text``. Bytes go through ``decode_bytes``; missing values (None, NaN, pandas
        NA) and non-string cells are errors that name the type only. An empty or
        whitespace-only string is a valid (empty) note.
    """
    if is_missing(value):
        return Text(None, "missing text (null)")
    if isinstance(value, bytes | bytearray | memoryview):
        return decode_bytes(bytes(value))
    if not isinstance(value, str):
        return Text(None, f"text is not a string (got {type(value).__name__})")
    return Text(value)


# One character for one: offsets into the cleaned text index the original text.
_CLEAN_MAP = {
    **dict.fromkeys(range(0x00, 0x09), " "),  # C0 controls, NUL included
    **dict.fromkeys(range(0x0E, 0x20), " "),
    0x7F: " ",
    0x0B: "\n",  # vertical tab
    0x0C: "\n",  # form feed (page break)
    0x85: "\n",  # next line
    0x2028: "\n",  # line separator
    0x2029: "\n",  # paragraph separator
    0xFEFF: " ",  # BOM / zero-width no-break space
    0xA0: " ",  # no-break space
    0x1680: " ",
    **dict.fromkeys(range(0x2000, 0x200B), " "),  # en/em/thin/hair ... spaces
    0x202F: " ",  # narrow no-break space
    0x205F: " ",
    0x3000: " ",
    # typographic punctuation from word processors and HTML exports: the rules are written
    # with ASCII apostrophes, quotes and hyphens ("rec'd", "2-4 mg")
    **dict.fromkeys((0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x02BC), "'"),
    **dict.fromkeys((0x201C, 0x201D, 0x201E, 0x2033), '"'),
    **dict.fromkeys((*range(0x2010, 0x2016), 0x2212, 0xFE63, 0xFF0D), "-"),
}


def clean_text(
    text: str, words: frozenset[str] | None = None, rules: ReaderRules | None = None
) -> str:
    """Normalise a note for the pipeline without moving any character offset.

    ``html_entities``, ``normalise_text``, text struck through blanked (``struck_text``), a
    PDF-to-text form's label lines and an INI export's "key = value" lines read as fields
    (``label_lines``, ``ini_fields``), then the letter confusions
    of scanned text are repaired (``repair_ocr``; ``words``: the lexicon words of the rule set in
    use, ``lexicon_words``, None for the bundled one) and a form's dotted leaders read as colons
    (``dotted_leaders``). Every replacement keeps the length (a legacy print's line numbers become
    spaces: ``line_numbers``; a raw dictation's spoken punctuation becomes the mark:
    ``spoken_punctuation``), so event offsets index the original text and
    ``len(clean_text(t)) == len(t)``. ``rules``: the reader rules of the rule set in use
    (``reader_rules``; None: the bundled rule files').
    """
    rules = rules or reader_rules()
    cleaned = label_lines(struck_text(normalise_text(html_entities(text)), rules), rules)
    cleaned = ini_fields(cleaned, rules)
    cleaned = dotted_leaders(repair_ocr(cleaned, words, rules), rules)
    return spoken_punctuation(line_numbers(cleaned, rules), rules)


@dataclass(frozen=True)
class ReaderRules:
    """The rules of ``patterns/reader/reader.yaml``, compiled: how a note's text is read
    before extraction (every repair of ``clean_text`` keeps the text's length).

    Attributes:
        spoken: a spoken punctuation word after a blank (group 1 the word).
        spoken_marks: spoken word (lowercase) -> the mark it stands for.
        spoken_min, spoken_kinds: how many spoken marks, of how many kinds, make a dictation
            one that spells them out.
        written_mark: a mark the note writes itself; ``written_max``: how many it may write.
        line_number: a printed listing's line number opening a line (group 1);
            ``line_min``: how many numbered lines make a listing.
        ocr_caps, ocr_one, ocr_rn, ocr_zero, broken_word: the scanned-text confusions ``repair_ocr``
            repairs.
        ocr_zeros: capital letters O typed for zeros in an amount before its unit, read as
            zeros by the tokenizer only (``core._capital_o_zeros``).
        leader: a form field's dotted leader (group 1 the label, group 2 the dots).
        struck: text struck through in a Markdown or HTML export (deleted text).
        label_line: a form field's label alone on its line, then a line break and its value
            (group 1 the colon written, if any); ``label_min``: how many make such a form.
        table_delimiters: the delimiters of a table pasted as a note, in the order tried;
            ``table_rule_chars``: the characters of a rule line drawn between its rows.
    """

    spoken: re.Pattern[str]
    spoken_marks: dict[str, str]
    spoken_min: int
    spoken_kinds: int
    written_mark: re.Pattern[str]
    written_max: int
    line_number: re.Pattern[str]
    line_min: int
    ocr_caps: re.Pattern[str]
    ocr_one: re.Pattern[str]
    ocr_rn: re.Pattern[str]
    ocr_zero: re.Pattern[str]
    broken_word: re.Pattern[str]
    ocr_zeros: re.Pattern[str]
    leader: re.Pattern[str]
    struck: re.Pattern[str]
    label_line: re.Pattern[str]
    label_min: int
    ini_field: re.Pattern[str]
    ini_min: int
    table_delimiters: tuple[str, ...]
    table_rule_chars: str

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ReaderRules:
        """Compile the parsed ``reader/reader.yaml`` (validated by ``patterns.load_patterns``)."""
        spoken, ocr = spec["spoken_punctuation"], spec["ocr"]
        marks = {str(k).lower(): str(v) for k, v in spoken["marks"].items()}
        words = "|".join(re.escape(w) for w in marks)
        return cls(
            spoken=re.compile(r"(?i) (" + words + r")\b"),
            spoken_marks=marks,
            spoken_min=int(spoken["min_marks"]),
            spoken_kinds=int(spoken["min_kinds"]),
            written_mark=re.compile(spoken["written_mark"]),
            written_max=int(spoken["written_max"]),
            line_number=re.compile(spec["line_numbers"]["pattern"]),
            line_min=int(spec["line_numbers"]["min_lines"]),
            ocr_caps=re.compile(ocr["caps_word"]),
            ocr_one=re.compile(ocr["one_for_l"]),
            ocr_rn=re.compile(ocr["rn_for_m"]),
            ocr_zero=re.compile(ocr.get("o_for_zero", r"(?!)")),
            broken_word=re.compile(ocr["broken_word"]),
            ocr_zeros=re.compile(ocr["capital_o_zeros"]),
            leader=re.compile(spec["dotted_leader"]),
            struck=re.compile(spec.get("struck", r"(?!)")),
            label_line=_label_line(spec.get("label_lines", {}).get("labels", ())),
            label_min=int(spec.get("label_lines", {}).get("min_labels", 1)),
            ini_field=re.compile(spec.get("ini_fields", {}).get("pattern", r"(?!)")),
            ini_min=int(spec.get("ini_fields", {}).get("min_lines", 1)),
            table_delimiters=tuple(spec["tables"]["delimiters"]),
            table_rule_chars=str(spec["tables"]["rule_chars"]),
        )


# the compiled reader rules of each rule set read (``reader_rules``), by ``Patterns.sha256``
_READERS: dict[str, ReaderRules] = {}


def reader_rules(patterns: Patterns | None = None) -> ReaderRules:
    """The reader rules (``ReaderRules``) of ``patterns`` (None: the bundled rule files, or
    ``$AUDITOR_PATTERNS``: ``patterns.load_patterns``), compiled once per rule set. The one
    place the reader-level rules (spoken punctuation, line numbers, OCR confusions, dotted
    leaders, pasted tables) are read."""
    if patterns is None:
        from .patterns import load_patterns

        patterns = load_patterns(None)
    rules = _READERS.get(patterns.sha256)
    if rules is None:
        rules = _READERS[patterns.sha256] = ReaderRules.from_spec(patterns.reader)
    return rules


# an HTML character reference written into note text by an HTML or XML export: a named one
# ("&nbsp;", "&amp;", "&ndash;") or a numeric one ("&#160;", "&#xA0;"), its semicolon written
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _entity(m: re.Match[str]) -> str:
    ref = m.group(0)
    if ref[1] == "#":
        code = int(ref[3:-1], 16) if ref[2] in "xX" else int(ref[2:-1])
        char = chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""
    else:
        char = html.entities.html5.get(ref[1:], "")
    if len(char) != 1:
        return ref  # an unknown name ("&foo;") or a two-character reference: left as written
    return char + " " * (len(ref) - 1)


def html_entities(text: str) -> str:
    """``text`` with each HTML character reference decoded, keeping its length: the
    character, then spaces over the rest of the reference ("25&nbsp;mg" -> "25" + six spaces +
    "mg", "N&amp;V" -> "N&" + four spaces + "V"), so an amount, its unit and its route stay
    apart as words and every other character keeps its offset. An unknown name is left as
    written. The decoded character then goes through ``normalise_text`` like any other
    (no-break space -> space, en dash -> hyphen)."""
    if "&" not in text or ";" not in text:
        return text
    return _ENTITY.sub(_entity, text)


def normalise_text(text: str) -> str:
    """``text`` as written, made safe to show and tokenise, each character in its place:
    line endings become ``\\n`` (CRLF -> space + LF, a lone CR -> LF), Unicode spaces and
    control characters (NUL, BOM, no-break spaces) become spaces, other line separators
    (form feed, U+2028) become LF, typographic apostrophes, quotes and dashes become ASCII
    ``'``, ``"`` and ``-``, and lone surrogates become U+FFFD. No letter is changed (the
    report shows this text, so an auditor reads the note as scanned)."""
    return no_surrogates(text.replace("\r\n", " \n").replace("\r", "\n").translate(_CLEAN_MAP))


def line_numbers(text: str, rules: ReaderRules | None = None) -> str:
    """``text`` with a printed listing's line numbers blanked, keeping its length: when the
    text opens with one and every non-blank line (``line_min`` or more) opens with a number
    (``reader.yaml`` ``line_numbers.pattern``: zero-padded) and the numbers count up by one
    ("0001 CLINIC VISIT NOTE", "0002 LOCATION: ..."), each number becomes spaces, so a
    sentence carried over to the next line reads on without a number in it. Any other text is
    left as written. ``rules``: ``reader_rules`` of the rule set in use (None: bundled)."""
    rules = rules or reader_rules()
    number = rules.line_number
    if not number.match(text):
        return text
    lines = [line for line in text.split("\n") if line.strip()]
    found = [number.match(line) for line in lines]
    if len(lines) < rules.line_min or not all(found):
        return text
    numbers = [int(m.group(1)) for m in found if m]
    if any(b != a + 1 for a, b in zip(numbers, numbers[1:], strict=False)):
        return text
    text = number.sub(lambda m: " " * len(m.group(1)), text)
    # a line indented under the one before (deeper than the number and its space), which ends
    # without a stop ("... 25 MG IM" over "   LT DELTOID GIVEN 1415"), carries its sentence on:
    # its line break becomes a space
    deeper = len(found[0].group(1)) + 2
    carried = re.compile(r"([^\s.:;!?])\n(?=[ \t]{" + str(deeper) + r",}\S)")
    return carried.sub(lambda m: m.group(1) + " ", text)


def spoken_punctuation(text: str, rules: ReaderRules | None = None) -> str:
    """``text`` with a dictation's spoken punctuation written as the mark, keeping its length:
    in a note that says at least ``spoken_min`` of them, of ``spoken_kinds`` kinds or more, and
    writes at most ``written_max`` marks of its own ("period new paragraph history colon
    the patient ..."), each " period" becomes "." and spaces, " comma" ",",
    " colon" ":", " new paragraph" a line break (``reader.yaml`` ``spoken_punctuation``).
    A note with its own punctuation ("the period of observation", "a colon polyp") is left as
    written. ``rules``: ``reader_rules`` of the rule set in use (None: bundled)."""
    rules = rules or reader_rules()
    found = list(rules.spoken.finditer(text))
    if (
        len(found) < rules.spoken_min
        or len({m.group(1).lower() for m in found}) < rules.spoken_kinds
    ):
        return text
    if len(rules.written_mark.findall(text)) > rules.written_max:
        return text
    marks = rules.spoken_marks
    return rules.spoken.sub(lambda m: marks[m.group(1).lower()] + " " * (len(m.group(0)) - 1), text)


def _label_line(labels: Any) -> re.Pattern[str]:
    """The regex of a form label alone on its line, its value on the next line (group 1: the
    line break, after an optional colon); never matches when there are no labels."""
    forms = sorted((str(x) for x in labels), key=len, reverse=True)
    if not forms:
        return re.compile(r"(?!)")
    alt = "|".join(re.escape(f).replace(r"\ ", r"[ \t]+") for f in forms)
    return re.compile(rf"(?im)^[ \t]*(?:{alt})[ \t]*(:?)(\n)(?=[ \t]*[^\s:])")


def label_lines(text: str, rules: ReaderRules | None = None) -> str:
    """``text`` with a PDF-to-text form's label lines read as fields, keeping its length: in a
    note with at least ``label_min`` lines that hold only a field label ("Dose", "Route",
    "Administered By") over their value, each such line break becomes the field's colon (a
    blank when the label has its colon): "Dose\\n600 000 units" -> "Dose:600 000 units"
    (``reader.yaml`` ``label_lines``; ``rules``: ``reader_rules`` of the rule set in use, None:
    bundled)."""
    rules = rules or reader_rules()
    found = list(rules.label_line.finditer(text))
    if len(found) < rules.label_min:
        return text
    chars = list(text)
    for m in found:
        chars[m.start(2)] = " " if m.group(1) else ":"
    return "".join(chars)


def ini_fields(text: str, rules: ReaderRules | None = None) -> str:
    """``text`` with an INI-style export's "key = value" lines read as form fields, keeping its
    length: in a note with at least ``ini_min`` such lines, each " = " (the pattern's group 2)
    becomes the field's colon and blanks of the same length ("route = IM" -> "route:  IM";
    ``reader.yaml`` ``ini_fields``; ``rules``: ``reader_rules`` of the rule set in use, None:
    bundled)."""
    rules = rules or reader_rules()
    if " = " not in text:
        return text
    found = list(rules.ini_field.finditer(text))
    if len(found) < rules.ini_min:
        return text
    chars = list(text)
    for m in found:
        chars[m.start(2) : m.end(2)] = [":"] + [" "] * (m.end(2) - m.start(2) - 1)
    return "".join(chars)


def struck_text(text: str, rules: ReaderRules | None = None) -> str:
    """``text`` with the text struck through in a Markdown or HTML export ("~~...~~",
    "<del>...</del>": ``reader.yaml`` ``struck``) blanked to spaces, keeping its length: deleted
    text documents nothing (a struck-through dose line, then "charted in error", is no dose;
    ``rules``: ``reader_rules`` of the rule set in use, None: bundled)."""
    rules = rules or reader_rules()
    if "~~" not in text and "<" not in text:
        return text
    return rules.struck.sub(lambda m: " " * len(m.group(0)), text)


def dotted_leaders(text: str, rules: ReaderRules | None = None) -> str:
    """``text`` with each form field's dotted leader read as a field's colon, keeping its
    length: "Medication ......... Ketorolac" -> "Medication:          Ketorolac" (the first dot
    becomes the colon, the others spaces), so the line reads as a ``Field: value`` line
    (``reader.yaml`` ``dotted_leader``; ``rules``: ``reader_rules`` of the rule set in use,
    None: bundled)."""
    rules = rules or reader_rules()

    def field(m: re.Match[str]) -> str:
        label = m.group(1).rstrip()
        return label + ":" + " " * (len(m.group(0)) - len(label) - 1)

    return rules.leader.sub(field, text)


def _ocr_word(m: re.Match[str]) -> str:
    word = m.group(0)
    caps = sum(c.isupper() for c in word)
    if caps < 2 and not (len(word) == 2 and word[0] == "l"):
        return word  # "All", "Ill", "B0": a capitalised word, or too short to tell ("lM": IM)
    # a final "l" stays: "KCl", "HCl" (chloride), "Il"
    return word[:-1].replace("l", "I").replace("0", "O") + word[-1].replace("0", "O")


# the one-word lexicon forms of each rule set read (``lexicon_words``), by ``Patterns.sha256``
_WORDS: dict[str, frozenset[str]] = {}


def lexicon_words(patterns: Patterns | None = None) -> frozenset[str]:
    """The one-word forms of the drug, site, route and unit lexicons of ``patterns`` (None: the
    bundled rule files, ``patterns.load_patterns``): a word broken across a line by a hyphen
    is joined only when it makes one of them (``repair_ocr``). Read once per rule set."""
    if patterns is None:
        from .patterns import load_patterns

        patterns = load_patterns(None)
    words = _WORDS.get(patterns.sha256)
    if words is None:
        forms: list[str] = []
        for drug in patterns.drugs["drugs"]:
            forms += drug["names"]
        for names in patterns.sites["sites"].values():
            forms += names
        forms += patterns.sites.get("other_body_parts", [])
        for names in patterns.routes["routes"].values():
            forms += names
        for names in patterns.units["units"].values():
            forms += names
        words = frozenset(str(f).lower() for f in forms if " " not in str(f))
        _WORDS[patterns.sha256] = words
    return words


def repair_ocr(
    text: str, words: frozenset[str] | None = None, rules: ReaderRules | None = None
) -> str:
    """``text`` with the letter confusions of scanned documents repaired, keeping its length:
    a lowercase "l" for "I" and a zero for "O" in a word of capitals ("lM" -> "IM",
    "FAMlLY" -> "FAMILY"), a digit one for a lowercase "l" when that makes a lexicon word
    ("g1uteal" -> "gluteal", "Kena1og" -> "Kenalog"), "rn" for "m" in a unit right after an
    amount when that makes a unit form ("40 rng" -> "40 mg "), a capital O for a zero in a
    number that opens with a digit ("75O mg" -> "750 mg"), and a drug, site or route word
    broken across a line by a hyphen joined, the two lines made one ("Ceftriax-\none 1 g" ->
    "Ceftriaxone   1 g": the hyphen and the line break become two spaces after the word, so
    only the word's second part moves and every other character keeps its offset in the
    original text). The confusions are ``reader.yaml`` ``ocr`` (``rules``: ``reader_rules`` of
    the rule set in use, None: bundled). ``words``: the
    lexicon words a joined word must be (``lexicon_words`` of the rule set in use; None: the
    bundled rule files')."""
    rules = rules or reader_rules()
    text = rules.ocr_caps.sub(_ocr_word, text)
    known = lexicon_words() if words is None else words

    def one(m: re.Match[str]) -> str:
        fixed = m.group(0).replace("1", "l")
        return fixed if fixed.lower() in known else m.group(0)

    def rn(m: re.Match[str]) -> str:
        fixed = "m" + m.group(2)
        return m.group(1) + fixed + " " if fixed.lower() in known else m.group(0)

    def join(m: re.Match[str]) -> str:
        whole = m.group(1) + m.group(2)
        return whole + "  " if whole.lower() in known else m.group(0)

    text = rules.ocr_rn.sub(rn, rules.ocr_one.sub(one, text))
    text = rules.ocr_zero.sub(lambda m: m.group(0).replace("O", "0"), text)
    return rules.broken_word.sub(join, text)


def no_surrogates(value: str) -> str:
    """``value`` with each lone surrogate (``"\\ud800"`` from a JSON escape) replaced by
    U+FFFD, one character for one, so it can be written as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    return value


def safe_record(record: NoteRecord) -> NoteRecord:
    """``record`` with lone surrogates replaced (``no_surrogates``) in its id, text and
    string-valued extra columns; the same object when there is none. Offsets into the
    text do not move."""
    fields = [record.note_id, record.text, *record.extra.values()]
    if all(not isinstance(v, str) or no_surrogates(v) is v for v in fields):
        return record
    fix = lambda v: no_surrogates(v) if isinstance(v, str) else v  # noqa: E731
    return replace(
        record,
        note_id=fix(record.note_id),
        text=fix(record.text),
        extra={k: fix(v) for k, v in record.extra.items()},
    )


class InputTally:
    """Watches a record stream for note ids seen before, Windows-1252 text and the facts
    readers attach to records (RTF converted, note lines folded, cells at Excel's limit).

    Duplicate ids are kept (each record is audited and reported on its own line); the
    tally only counts them. Warnings name row numbers, never ids or text.
    """

    SHOWN_ROWS = 10  # row numbers quoted in a warning
    # Record facts (``NoteRecord.facts``) counted in ``run.json``; those with a template
    # are also named by row in a warning.
    FACT_WARNINGS = {
        "excel_cell_limit": "{n} record(s) have a cell at or over Excel's 32,767-character "
        "limit: Excel may have cut the note (rows {rows})",
        "line_order": "{n} note(s) had lines out of order, skipped or repeated; each was "
        "reassembled by line number (records {rows})",
        "rtf_converted": "{n} record(s) held RTF and were converted to text (rows {rows})",
        "file_name_windows_1252": "{n} file name(s) were not valid UTF-8 and were read as "
        "Windows-1252 for the note id and file column (rows {rows})",
    }

    def __init__(self) -> None:
        self.records = 0
        self.source: Any = None
        self._seen: set[str] = set()
        self._rows: dict[str, list[int]] = {"duplicate_ids": [], "windows_1252": []}
        self._counts: dict[str, int] = dict.fromkeys(self._rows, 0)
        self._facts: dict[str, int] = {}

    def watch(self, records: Iterable[NoteRecord], source: Any = None) -> Iterator[NoteRecord]:
        """Yield ``records`` unchanged, counting as they pass.

        Args:
            records: the records.
            source: the reader's stream (``io.readers.RecordStream``), whose ``format`` and
                ``info`` (delimiter, sheet, note-line folding, skipped resources) go to
                ``summary()`` as ``reading``; None when there is none.
        """
        if source is not None:
            self.source = source
        for record in records:
            self.records += 1
            if record.note_id in self._seen:
                self._count("duplicate_ids", record.row)
            self._seen.add(record.note_id)
            if record.encoding == "cp1252":
                self._count("windows_1252", record.row)
            for fact, n in record.facts.items():
                if n:
                    self._facts[fact] = self._facts.get(fact, 0) + n
                    if fact in self.FACT_WARNINGS:
                        self._rows.setdefault(fact, [])
                        self._counts[fact] = self._counts.get(fact, 0) + 1
                        if len(self._rows[fact]) < self.SHOWN_ROWS:
                            self._rows[fact].append(record.row)
            yield record

    def _count(self, what: str, row: int) -> None:
        self._counts[what] += 1
        if len(self._rows[what]) < self.SHOWN_ROWS:
            self._rows[what].append(row)

    def summary(self) -> dict[str, Any]:
        """``{"duplicate_ids": n, "windows_1252": n, ...}``: records repeating an earlier
        note id, records whose text was not UTF-8 and was read as Windows-1252, then the
        sum of each record fact seen (``rtf_converted``, ``html_converted``,
        ``excel_cell_limit``, ``note_lines``, ``versions_folded``, ``line_order``) and,
        with a source stream, ``reading``: its format and ``info``."""
        summary: dict[str, Any] = {
            "duplicate_ids": self._counts["duplicate_ids"],
            "windows_1252": self._counts["windows_1252"],
            **dict(sorted(self._facts.items())),
        }
        if self.source is not None:
            summary["reading"] = {"format": self.source.format, **self.source.info}
        return summary

    def warnings(self) -> list[str]:
        """One line per finding (empty when there is none), without ids or text."""
        lines = []
        templates = {
            "duplicate_ids": "{n} record(s) repeat a note_id seen earlier (rows {rows}); "
            "each is kept and reported on its own line",
            "windows_1252": "{n} record(s) were not valid UTF-8 and were read as "
            "Windows-1252 (rows {rows})",
            **self.FACT_WARNINGS,
        }
        for what, template in templates.items():
            n = self._counts.get(what, 0)
            if n:
                rows = ", ".join(map(str, self._rows[what])) + (
                    ", ..." if n > self.SHOWN_ROWS else ""
                )
                lines.append(template.format(n=n, rows=rows))
        info = self.source.info if self.source is not None else {}
        for key, what in (("fhir_skipped", "FHIR resource(s)"), ("hl7_skipped", "HL7 message(s)")):
            skipped = info.get(key)
            if skipped:
                kinds = ", ".join(f"{k} {v}" for k, v in skipped.items())
                lines.append(
                    f"{sum(skipped.values())} {what} holding no note were skipped ({kinds})"
                )
        return lines
