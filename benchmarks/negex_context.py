"""Benchmark the project's ConText rules on the public NegEx/ConText test set.

The NegEx test set (Chapman et al.; ``../shared/data/negex/negex_context_testset.jsonl``)
has 2,376 sentences, each with one annotated condition (written in capitals in the
sentence) and its negation (affirmed/negated) and temporality (recent/historical/not
particular). For every sentence this script

1. makes a Doc with the project's tokenizer and line-aware sentence splitter (taken from
   ``auditor.pipeline.build.build_pipeline``, so they are exactly the production ones);
2. finds the condition in the sentence (its capitalised occurrence first, then any
   case-insensitive one, then the longest run of tokens shared with the condition) and
   makes it the only ConText target, a span labelled ``CONDITION``;
3. runs medspaCy ConText over it twice, with the project's rules
   (``patterns/context/condition_rules.json`` on top of medspaCy's defaults, via
   ``benchmarks.condition_context``) and with medspaCy's default rules,
   and reads the categories of the modifiers attached to the target.

ConText means a modifier never to modify a target it overlaps, but medspaCy 1.3.1's
overlap test (``medspacy.util.tuple_overlaps``) misses a target that strictly contains the
trigger, e.g. the annotated condition "REGULAR S-1 AND S-2 WITHOUT MURMURS" is negated by
its own "WITHOUT". The figures count such modifiers, as the pipeline would; with
``--ignore-inner-triggers`` they are dropped (the number of sentences concerned is printed
either way).

It prints negation precision/recall/F (positive class: negated; predicted when a
NEGATED_EXISTENCE modifier is attached) and historical precision/recall/F (positive class:
temporality historical; predicted when a HISTORICAL modifier is attached), on all
sentences, on even ids (the half rules were tuned on) and on odd ids (held out).

Usage::

    .venv/bin/python benchmarks/negex_context.py [--data JSONL] [--patterns DIR]
        [--json OUT] [--errors {project,default}] [--split {all,tune,held_out}]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.tokens import Span

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.condition_context`` importable
    sys.path.insert(0, str(ROOT))

from auditor.evaluate import shared_data_dir  # noqa: E402

# the shared data folder: $AUDITOR_SHARED_DATA, else ../shared/data beside the checkout
DEFAULT_DATA = shared_data_dir() / "negex" / "negex_context_testset.jsonl"
TARGET_LABEL = "CONDITION"
RULE_SETS = ("project", "default")
SPLITS = ("all", "tune", "held_out")
SPLIT_TITLES = {"all": "all", "tune": "tune (even ids)", "held_out": "held-out (odd ids)"}


@dataclass
class Prediction:
    """What one rule set says about one test sentence."""

    negated: bool
    historical: bool
    found: str  # "exact", "overlap" or "missing": how the condition was located
    target: str = ""
    modifiers: list[tuple[str, str]] = field(default_factory=list)  # (category, trigger)
    inner: int = 0  # modifiers ignored because their trigger lies inside the target


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read the test set (one JSON object per line: id, condition, sentence, negation,
    temporality, ...)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_of(row: dict[str, Any]) -> str:
    """``tune`` for even ids, ``held_out`` for odd ids."""
    return "tune" if int(row["id"]) % 2 == 0 else "held_out"


def build(patterns_dir: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Return the project's pipeline (for its tokenizer and sentence splitter) and the two
    ConText components to compare: ``project`` rules and medspaCy's ``default`` rules."""
    from medspacy.context import ConText

    from auditor.core import _silence_phi_loggers
    from auditor.pipeline.build import build_pipeline
    from auditor.pipeline.mentions import MENTIONS_KEY
    from benchmarks.condition_context import condition_context, condition_rules

    _silence_phi_loggers()
    nlp = build_pipeline(patterns_dir)
    rules = condition_rules(patterns_dir)["context_rules"]
    contexts = {
        "project": condition_context(nlp, rules, "negex_project_context"),
        "default": ConText(
            nlp,
            name="negex_default_context",
            rules="default",
            input_span_type="group",
            span_group_name=MENTIONS_KEY,
        ),
    }
    return nlp, contexts


def rules_version(patterns_dir: str | None = None) -> str:
    from benchmarks.condition_context import condition_rules

    return str(condition_rules(patterns_dir)["version"])


def _phrase_regex(phrase: str, bounded: bool) -> str:
    words = [re.escape(w) for w in phrase.split()]
    body = r"\s+".join(words)
    return rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])" if bounded else body


def find_target(nlp: Any, doc: Any, condition: str) -> tuple[Any, str]:
    """Locate ``condition`` in ``doc``; return ``(span or None, how)``.

    ``how`` is ``exact`` (the capitalised occurrence, else any case-insensitive one; a run
    of whitespace matches any run of whitespace), ``overlap`` (no exact occurrence: the
    longest run of sentence tokens that are words of the condition, punctuation allowed
    inside, with at least one non-stop word) or ``missing``.
    """
    text = doc.text
    tries = (
        (condition.upper(), 0, True),
        (condition, re.IGNORECASE, True),
        (condition, re.IGNORECASE, False),
    )
    for phrase, flags, bounded in tries:
        if not phrase.strip():
            continue
        match = re.search(_phrase_regex(phrase, bounded), text, flags)
        if match:
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is not None and len(span):
                return span, "exact"
    words = {t.lower_ for t in nlp.make_doc(condition) if not (t.is_punct or t.is_space)}

    def is_word(token: Any) -> bool:
        return token.lower_ in words and not (token.is_punct or token.is_space)

    best: tuple[int, int, int] | None = None  # (condition words, start, end)
    i = 0
    while i < len(doc):
        if not is_word(doc[i]):
            i += 1
            continue
        j, end, matched, content = i, i, 0, False
        while j < len(doc) and (is_word(doc[j]) or doc[j].is_punct or doc[j].is_space):
            if is_word(doc[j]):
                matched, end = matched + 1, j + 1
                content = content or not doc[j].is_stop
            j += 1
        if content and (best is None or matched > best[0]):
            best = (matched, i, end)
        i = j
    if best is None:
        return None, "missing"
    return doc[best[1] : best[2]], "overlap"


def make_doc(nlp: Any, text: str) -> Any:
    """Tokenize ``text`` and set the project's sentence boundaries."""
    return nlp.get_pipe("auditor_sentences")(nlp.make_doc(text))


def predict(nlp: Any, context: Any, row: dict[str, Any], ignore_inner: bool = False) -> Prediction:
    """Run one ConText component on one test sentence (a fresh Doc each time).

    ``ignore_inner`` drops modifiers whose trigger lies inside the target (see module
    docstring); ``Prediction.inner`` counts them either way."""
    doc = make_doc(nlp, row["sentence"])
    span, how = find_target(nlp, doc, row["condition"])
    if span is None:
        return Prediction(negated=False, historical=False, found=how)
    target = Span(doc, span.start, span.end, label=TARGET_LABEL)
    doc.spans["mentions"] = [target]  # both ConTexts read this span group (MENTIONS_KEY)
    context(doc)
    mods, inner = [], 0
    for m in target._.modifiers:
        start, end = m.modifier_span
        if target.start <= start and end <= target.end:
            inner += 1
            if ignore_inner:
                continue
        mods.append((m.category, doc[start:end].text))
    categories = {category for category, _ in mods}
    return Prediction(
        negated="NEGATED_EXISTENCE" in categories,
        historical="HISTORICAL" in categories,
        found=how,
        target=target.text,
        modifiers=mods,
        inner=inner,
    )


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 (0.0 when undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _binary(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, Any]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    tn = len(gold) - tp - fp - fn
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, **prf(tp, fp, fn)}


def score(rows: Sequence[dict[str, Any]], preds: Sequence[Prediction]) -> dict[str, Any]:
    """Negation and historical P/R/F of ``preds`` against ``rows`` (same order), plus how
    the targets were found. A target not found counts as affirmed and not historical."""
    return {
        "n": len(rows),
        "gold_negated": sum(r["negation"] == "negated" for r in rows),
        "gold_historical": sum(r["temporality"] == "historical" for r in rows),
        "found": {k: sum(p.found == k for p in preds) for k in ("exact", "overlap", "missing")},
        "inner_trigger_sentences": sum(p.inner > 0 for p in preds),
        "negation": _binary([r["negation"] == "negated" for r in rows], [p.negated for p in preds]),
        "historical": _binary(
            [r["temporality"] == "historical" for r in rows], [p.historical for p in preds]
        ),
    }


def evaluate(
    rows: Sequence[dict[str, Any]], patterns_dir: str | None = None, ignore_inner: bool = False
) -> tuple[dict[str, dict[str, Any]], dict[str, list[Prediction]]]:
    """Score both rule sets on ``rows`` (``ignore_inner``: see ``predict``).

    Returns:
        ``(scores, predictions)``: ``scores[rule_set][split]`` is a ``score`` dict for
        rule sets ``project`` and ``default`` and splits ``all``, ``tune`` (even ids) and
        ``held_out`` (odd ids); ``predictions[rule_set]`` follows the order of ``rows``.
    """
    nlp, contexts = build(patterns_dir)
    predictions = {
        name: [predict(nlp, ctx, row, ignore_inner) for row in rows]
        for name, ctx in contexts.items()
    }
    scores: dict[str, dict[str, Any]] = {}
    for name, preds in predictions.items():
        scores[name] = {}
        for split in SPLITS:
            keep = [i for i, row in enumerate(rows) if split == "all" or split_of(row) == split]
            scores[name][split] = score([rows[i] for i in keep], [preds[i] for i in keep])
    return scores, predictions


def format_table(scores: dict[str, dict[str, Any]], version: str) -> str:
    """The figures as a fixed-width text table."""
    head = (
        f"{'rules':<22}{'split':<20}{'n':>5}  {'neg P':>6}{'neg R':>7}{'neg F':>7}"
        f"  {'TP/FP/FN':>12}  {'hist P':>6}{'hist R':>7}{'hist F':>7}  {'TP/FP/FN':>12}"
    )
    lines = [head, "-" * len(head)]
    names = {"project": f"project {version}", "default": "medspaCy default"}
    for name in RULE_SETS:
        for split in SPLITS:
            s = scores[name][split]
            neg, hist = s["negation"], s["historical"]
            lines.append(
                f"{names[name]:<22}{SPLIT_TITLES[split]:<20}{s['n']:>5}  "
                f"{neg['precision']:>6.3f}{neg['recall']:>7.3f}{neg['f1']:>7.3f}  "
                f"{neg['tp']:>4}/{neg['fp']:>3}/{neg['fn']:>3}  "
                f"{hist['precision']:>6.3f}{hist['recall']:>7.3f}{hist['f1']:>7.3f}  "
                f"{hist['tp']:>4}/{hist['fp']:>3}/{hist['fn']:>3}"
            )
    return "\n".join(lines)


def format_errors(
    rows: Sequence[dict[str, Any]], preds: Sequence[Prediction], split: str = "all"
) -> Iterable[str]:
    """One line per negation or historical error: kind, id, gold, modifiers, sentence."""
    for row, pred in zip(rows, preds, strict=True):
        if split != "all" and split_of(row) != split:
            continue
        gold_neg = row["negation"] == "negated"
        gold_hist = row["temporality"] == "historical"
        kinds = []
        if pred.negated != gold_neg:
            kinds.append("neg-FP" if pred.negated else "neg-FN")
        if pred.historical != gold_hist:
            kinds.append("hist-FP" if pred.historical else "hist-FN")
        if kinds:
            sentence = " ".join(row["sentence"].split())
            yield (
                f"{','.join(kinds):<16} id={row['id']:<5} found={pred.found:<7} "
                f"target={pred.target!r} mods={pred.modifiers} | {sentence}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="test set (JSON Lines)")
    parser.add_argument("--patterns", default=None, help="patterns folder (default: bundled)")
    parser.add_argument(
        "--ignore-inner-triggers",
        action="store_true",
        help="drop modifiers whose trigger lies inside the target (see module docstring)",
    )
    parser.add_argument("--json", default=None, help="also write the scores to this file")
    parser.add_argument("--errors", choices=RULE_SETS, default=None, help="list errors")
    parser.add_argument("--split", choices=SPLITS, default="tune", help="split for --errors")
    args = parser.parse_args(argv)
    data = Path(args.data)
    if not data.is_file():
        print(f"test set not found: {data}", file=sys.stderr)
        return 2
    rows = load_rows(data)
    scores, predictions = evaluate(rows, args.patterns, args.ignore_inner_triggers)
    version = rules_version(args.patterns)
    found = scores["project"]["all"]["found"]
    gold = scores["project"]["all"]
    print(
        f"NegEx/ConText test set {data.name}: {gold['n']} sentences "
        f"({gold['gold_negated']} negated, {gold['gold_historical']} historical); "
        f"tune = even ids ({scores['project']['tune']['n']}), "
        f"held-out = odd ids ({scores['project']['held_out']['n']})"
    )
    print(
        f"target condition located: exact {found['exact']}, by token overlap "
        f"{found['overlap']}, not found {found['missing']} (scored as affirmed, not historical)"
    )
    print(
        "sentences where a trigger inside the target modifies it: "
        f"project {scores['project']['all']['inner_trigger_sentences']}, "
        f"medspaCy default {scores['default']['all']['inner_trigger_sentences']} "
        + ("(ignored: --ignore-inner-triggers)" if args.ignore_inner_triggers else "(counted)")
    )
    print(format_table(scores, version))
    if args.errors:
        print(f"\nerrors of {args.errors} rules on {SPLIT_TITLES[args.split]}:")
        for line in format_errors(rows, predictions[args.errors], args.split):
            print(line)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "data": str(data),
                    "rules_version": version,
                    "ignore_inner_triggers": args.ignore_inner_triggers,
                    "scores": scores,
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
