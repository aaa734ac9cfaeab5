"""Find, load, validate and hash the rule files in ``patterns/``.

Rules are data: every lexicon, cue list, ConText rule, section rule, the 96372
requirement spec and the billing tables (drug-to-HCPCS table, claim rules, payer profiles)
is a versioned file under one folder. This module is the only place that
reads them; the pipeline builder and the requirement engine receive plain dicts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import PatternError

DEFAULT_PATTERNS_DIR = Path(__file__).resolve().parent.parent / "patterns"

# file name (relative to the patterns folder) -> top-level keys it must have
SCHEMA: dict[str, tuple[str, ...]] = {
    "lexicons/drugs.yaml": ("version", "drugs", "cancer_terms"),
    "lexicons/routes.yaml": ("version", "routes", "not_routes", "implied_by_site_words"),
    "lexicons/sites.yaml": (
        "version",
        "sites",
        "combined",
        "other_body_parts",
        "site_cues",
        "laterality",
    ),
    "lexicons/units.yaml": ("version", "units", "multipliers", "volume_unit", "percent_mg_per_ml"),
    "cues/cues.yaml": (
        "version",
        "phrases",
        "token_patterns",
        "indication",
        "evidence",
        "context",
        "window",
        "template_fields",
        "anchor_blockers",
    ),
    "extraction/extraction.yaml": (
        "version",
        "injection_routes",
        "modifiers",
        "words",
        "list_punctuation",
        "window",
        "regex",
    ),
    "context/context_rules.json": ("version", "context_rules"),
    "context/condition_rules.json": ("version", "base", "context_rules"),
    "sections/section_rules.json": ("version", "roles", "section_rules"),
    "requirements/cpt_96372.v1.yaml": (
        "version",
        "eligible_routes",
        "exclusion_flags",
        "required",
        "advisory",
        "status_precedence",
    ),
    "billing/hcpcs_drugs.yaml": ("version", "description", "sources", "units", "codes"),
    "billing/claim_rules.yaml": (
        "version",
        "description",
        "admin_code",
        "drug_code_prefixes",
        "unclassified_excludes_flags",
        "em_modifier",
        "em_codes_requiring_modifier",
        "em_codes_not_with_admin",
        "facility_pos",
        "professional_claim_types",
        "findings",
    ),
    "billing/payers.yaml": ("version", "description", "profiles"),
}

DRUG_EXCLUSIONS = {None, "vaccine_or_toxoid", "chemotherapy", "allergen_immunotherapy"}
DRUG_ROLES = {"drug", "local_anesthetic"}

# keys every row of billing/hcpcs_drugs.yaml must have (values may be null where documented)
HCPCS_ROW_KEYS = (
    "code",
    "drug",
    "descriptor",
    "amount",
    "unit",
    "basis",
    "routes",
    "effective_date",
    "end_date",
    "replaced_by",
    "source",
)
HCPCS_BASES = {"per", "up_to", "unclassified"}
ROUTES = {"IM", "SC", "IV", "ID", "other"}
# settings every payer profile must end with (after ``extends``) and their allowed values
PAYER_SETTINGS: dict[str, set[str] | None] = {
    "split_dose_admin_units": {"per_injection", "per_drug"},
    "repeat_admin_modifiers": None,
    "repeat_admin_billing": {"units", "lines", "either"},
    "unclassified_units_per_administration": None,
    "default_claim_type": None,
}


def resolve_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the patterns folder: ``path``, else ``$AUDITOR_PATTERNS``, else the bundled one.

    Raises:
        PatternError: the folder does not exist.
    """
    chosen = Path(path or os.environ.get("AUDITOR_PATTERNS") or DEFAULT_PATTERNS_DIR)
    if not chosen.is_dir():
        raise PatternError(f"patterns folder not found: {chosen}")
    return chosen


@lru_cache(maxsize=8)
def load_patterns(path: str | None = None) -> Patterns:
    """Load (once per process and folder) the validated rule files of ``path``.

    Raises:
        PatternError: see ``Patterns.load``.
    """
    return Patterns.load(path)


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except FileNotFoundError as exc:
        raise PatternError(f"pattern file missing: {path}") from exc
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PatternError(f"pattern file is not valid {path.suffix[1:]}: {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PatternError(f"pattern file must hold a mapping at top level: {path}")
    return data


def _check_drugs(drugs: list[dict[str, Any]], path: str) -> None:
    seen: dict[str, str] = {}
    for i, entry in enumerate(drugs):
        where = f"{path} drugs[{i}]"
        for key in ("generic", "class", "names"):
            if not entry.get(key):
                raise PatternError(f"{where}: missing '{key}'")
        if entry.get("exclusion") not in DRUG_EXCLUSIONS:
            raise PatternError(f"{where}: unknown exclusion {entry.get('exclusion')!r}")
        if entry.get("role", "drug") not in DRUG_ROLES:
            raise PatternError(f"{where}: unknown role {entry.get('role')!r}")
        for name in entry["names"]:
            key = str(name).lower()
            if key in seen and seen[key] != entry["generic"]:
                raise PatternError(
                    f"{where}: name {key!r} listed under both {seen[key]!r} "
                    f"and {entry['generic']!r}"
                )
            seen[key] = entry["generic"]


def _check_extraction(spec: dict[str, Any], path: str) -> None:
    """Validate extraction/extraction.yaml: word lists of strings, windows as non-negative
    integers, regexes that compile, injection routes among ``ROUTES``."""
    lists = {f"modifiers.{k}": v for k, v in spec["modifiers"].items()}
    lists |= {f"words.{k}": v for k, v in spec["words"].items()}
    lists["injection_routes"] = spec["injection_routes"]
    for key, words in lists.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise PatternError(f"{path}: {key} must be a list of strings (quote yes/no/on words)")
    if set(spec["injection_routes"]) - ROUTES:
        raise PatternError(f"{path}: injection_routes must be among {sorted(ROUTES)}")
    if not isinstance(spec["list_punctuation"], str):
        raise PatternError(f"{path}: list_punctuation must be a string")
    for key, value in spec["window"].items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PatternError(f"{path}: window.{key} must be a non-negative integer")
    for key, value in spec["regex"].items():
        try:
            re.compile(value)
        except (re.error, TypeError) as exc:
            raise PatternError(f"{path}: regex.{key} does not compile: {exc}") from exc


def _iso_date(value: Any, where: str) -> None:
    if value is None:
        return
    try:
        date.fromisoformat(str(value))
    except ValueError as exc:
        raise PatternError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def _check_hcpcs(table: dict[str, Any], generics: set[str], path: str) -> None:
    """Validate billing/hcpcs_drugs.yaml rows against drugs.yaml and the unit table."""
    units = table["units"]
    seen: set[str] = set()
    rows = table["codes"]
    codes = {str(r.get("code")) for r in rows}
    for i, row in enumerate(rows):
        where = f"{path} codes[{i}] ({row.get('code')})"
        missing = [k for k in HCPCS_ROW_KEYS if k not in row]
        if missing:
            raise PatternError(f"{where}: missing keys {missing}")
        if row["code"] in seen:
            raise PatternError(f"{where}: code listed twice")
        seen.add(row["code"])
        if row["basis"] not in HCPCS_BASES:
            raise PatternError(f"{where}: basis must be one of {sorted(HCPCS_BASES)}")
        for drug in [row["drug"], *row.get("also_drugs", [])]:
            if drug is not None and drug not in generics:
                raise PatternError(
                    f"{where}: drug {drug!r} is not a generic of lexicons/drugs.yaml"
                )
        if row["basis"] != "unclassified":
            if row["drug"] is None or row["unit"] not in units or not row["amount"]:
                raise PatternError(f"{where}: needs a drug, an amount and a unit of 'units'")
        bad_routes = set(row["routes"]) - ROUTES
        if bad_routes:
            raise PatternError(f"{where}: unknown routes {sorted(bad_routes)}")
        _iso_date(row["effective_date"], where)
        _iso_date(row["end_date"], where)
        if row["replaced_by"] is not None and row["replaced_by"] not in codes:
            raise PatternError(f"{where}: replaced_by {row['replaced_by']!r} is not in the table")
        if row["end_date"] is None and row["replaced_by"] is not None:
            raise PatternError(f"{where}: replaced_by set on a code without end_date")
        for extra in row.get("concentrations", []) + row.get("equivalents", []):
            if extra.get("unit") not in units or not extra.get("amount"):
                raise PatternError(f"{where}: concentration/equivalent needs an amount and a unit")


def _check_requirements(spec: dict[str, Any], path: str) -> None:
    """The requirement spec's lists are lists (a YAML string where a list belongs would be
    iterated letter by letter, or tested as a substring) of the shapes the engine reads."""

    def listed(value: Any, where: str, item: type) -> list[Any]:
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise PatternError(
                f"{path}: {where} must be a list of {'mappings' if item is dict else 'strings'}"
                f" (got {type(value).__name__})"
            )
        return value

    listed(spec["eligible_routes"], "eligible_routes", str)
    listed(spec["status_precedence"], "status_precedence", str)
    for i, rule in enumerate(listed(spec["exclusion_flags"], "exclusion_flags", dict)):
        when = rule.get("when")
        if not isinstance(rule.get("flag"), str) or not isinstance(when, dict):
            raise PatternError(f"{path}: exclusion_flags[{i}] needs 'flag' and a 'when' mapping")
        if "route" in when:
            listed(when["route"], f"exclusion_flags[{i}].when.route", str)
    for key in ("required", "advisory"):
        for i, rule in enumerate(listed(spec[key], key, dict)):
            test = rule.get("present_when")
            if not isinstance(rule.get("element"), str) or not isinstance(test, dict):
                raise PatternError(f"{path}: {key}[{i}] needs 'element' and a 'present_when'")
            if "in" in test:
                listed(test["in"], f"{key}[{i}].present_when.in", str)


def resolve_profile(payers: dict[str, Any], name: str) -> dict[str, Any]:
    """Return payer profile ``name`` with its ``extends`` chain applied.

    Raises:
        PatternError: the profile (or one it extends) is unknown, the chain loops, or a
            setting is missing or has a value outside ``PAYER_SETTINGS``.
    """
    profiles = payers["profiles"]
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current not in profiles:
            known = ", ".join(sorted(profiles))
            raise PatternError(
                f"payer profile {current!r} not found in billing/payers.yaml; profiles are: {known}"
            )
        if current in chain:
            raise PatternError(f"payer profile {name!r}: 'extends' loops through {current!r}")
        chain.append(current)
        current = profiles[current].get("extends")
    merged: dict[str, Any] = {}
    for step in reversed(chain):
        merged.update({k: v for k, v in profiles[step].items() if k != "extends"})
    merged["name"] = name
    for key, allowed in PAYER_SETTINGS.items():
        if key not in merged:
            raise PatternError(f"payer profile {name!r}: missing setting {key!r}")
        if allowed is not None and merged[key] not in allowed:
            raise PatternError(f"payer profile {name!r}: {key} must be one of {sorted(allowed)}")
    return merged


def _check_payers(payers: dict[str, Any]) -> None:
    """Validate billing/payers.yaml: a ``default`` profile, and every profile resolves."""
    if "default" not in payers["profiles"]:
        raise PatternError("billing/payers.yaml: a 'default' profile is required")
    for name in payers["profiles"]:
        resolve_profile(payers, name)


@dataclass(frozen=True)
class Patterns:
    """All rule files of one patterns folder, loaded and validated.

    Attributes:
        root: the folder.
        files: relative file name -> parsed content (dict), one entry per ``SCHEMA`` key.
    """

    root: Path
    files: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Patterns:
        """Load and validate every file named in ``SCHEMA``.

        Raises:
            PatternError: a file is missing, unparsable, or lacks a required key.
        """
        root = resolve_dir(path)
        files: dict[str, dict[str, Any]] = {}
        for name, keys in SCHEMA.items():
            data = _load(root / name)
            missing = [k for k in keys if k not in data]
            if missing:
                raise PatternError(f"{root / name}: missing top-level keys {missing}")
            files[name] = data
        _check_drugs(files["lexicons/drugs.yaml"]["drugs"], "lexicons/drugs.yaml")
        _check_extraction(files["extraction/extraction.yaml"], "extraction/extraction.yaml")
        generics = {d["generic"] for d in files["lexicons/drugs.yaml"]["drugs"]}
        _check_hcpcs(files["billing/hcpcs_drugs.yaml"], generics, "billing/hcpcs_drugs.yaml")
        _check_payers(files["billing/payers.yaml"])
        name = "requirements/cpt_96372.v1.yaml"
        _check_requirements(files[name], name)
        return cls(root=root, files=files)

    @cached_property
    def sha256(self) -> str:
        """Hash of every pattern file's bytes (sorted by name): identifies a rule set."""
        digest = hashlib.sha256()
        for name in sorted(SCHEMA):
            digest.update(name.encode())
            digest.update((self.root / name).read_bytes())
        return digest.hexdigest()

    @property
    def drugs(self) -> dict[str, Any]:
        return self.files["lexicons/drugs.yaml"]

    @property
    def routes(self) -> dict[str, Any]:
        return self.files["lexicons/routes.yaml"]

    @property
    def sites(self) -> dict[str, Any]:
        return self.files["lexicons/sites.yaml"]

    @property
    def units(self) -> dict[str, Any]:
        return self.files["lexicons/units.yaml"]

    @property
    def cues(self) -> dict[str, Any]:
        return self.files["cues/cues.yaml"]

    @property
    def extraction(self) -> dict[str, Any]:
        return self.files["extraction/extraction.yaml"]

    @property
    def context(self) -> dict[str, Any]:
        return self.files["context/context_rules.json"]

    @property
    def condition_context(self) -> dict[str, Any]:
        return self.files["context/condition_rules.json"]

    @property
    def sections(self) -> dict[str, Any]:
        return self.files["sections/section_rules.json"]

    @property
    def requirements(self) -> dict[str, Any]:
        return self.files["requirements/cpt_96372.v1.yaml"]

    @property
    def hcpcs_drugs(self) -> dict[str, Any]:
        return self.files["billing/hcpcs_drugs.yaml"]

    @property
    def claim_rules(self) -> dict[str, Any]:
        return self.files["billing/claim_rules.yaml"]

    @property
    def payers(self) -> dict[str, Any]:
        return self.files["billing/payers.yaml"]
