"""Find, load, validate and hash the rule files in ``patterns/``.

Rules are data: every lexicon, cue list, ConText rule, section rule and the 96372
requirement spec is a versioned file under one folder. This module is the only place that
reads them; the pipeline builder and the requirement engine receive plain dicts.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
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
        "version", "sites", "combined", "other_body_parts", "site_cues", "laterality"
    ),
    "lexicons/units.yaml": ("version", "units", "multipliers", "volume_unit", "percent_mg_per_ml"),
    "cues/cues.yaml": (
        "version", "phrases", "token_patterns", "indication", "evidence", "context", "window",
        "template_fields", "anchor_blockers",
    ),
    "context/context_rules.json": ("version", "context_rules"),
    "sections/section_rules.json": ("version", "roles", "section_rules"),
    "requirements/cpt_96372.v1.yaml": (
        "version",
        "eligible_routes",
        "exclusion_flags",
        "required",
        "advisory",
        "status_precedence",
    ),
}

DRUG_EXCLUSIONS = {None, "vaccine_or_toxoid", "chemotherapy", "allergen_immunotherapy"}
DRUG_ROLES = {"drug", "local_anesthetic"}


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
                    f"{where}: name {key!r} listed under both {seen[key]!r} and {entry['generic']!r}"
                )
            seen[key] = entry["generic"]


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
    def context(self) -> dict[str, Any]:
        return self.files["context/context_rules.json"]

    @property
    def sections(self) -> dict[str, Any]:
        return self.files["sections/section_rules.json"]

    @property
    def requirements(self) -> dict[str, Any]:
        return self.files["requirements/cpt_96372.v1.yaml"]
