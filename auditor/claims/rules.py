"""What claim reconciliation reads from ``patterns/``: ``ClaimRules`` and the findings
catalogue (``billing/claim_rules.yaml``: each finding's meaning, source and the findings it
subsumes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..billing import HcpcsTable
from ..patterns import load_patterns, resolve_profile
from ..requirements import RequirementSpec


@dataclass(frozen=True)
class Finding:
    """One entry of the findings catalogue (``claim_rules.yaml`` ``findings``).

    Attributes:
        code: the finding code written to ``claims.jsonl`` ``findings``.
        meaning: what it says about the claim line, in words.
        source: the public rule it rests on.
        subsumes: findings it makes redundant on the same line: when both would be raised,
            only this one is kept (one billing error, one finding).
    """

    code: str
    meaning: str
    source: str
    subsumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimRules:
    """Everything the reconciliation reads from ``patterns/``.

    Attributes:
        hcpcs: the drug-to-HCPCS table.
        rules: ``billing/claim_rules.yaml`` (admin code, E/M codes, facility POS, findings).
        payer: the resolved payer profile (``billing/payers.yaml``, ``extends`` applied).
        bill_instead: contract flag -> code billed instead of 96372.
    """

    hcpcs: HcpcsTable
    rules: dict[str, Any]
    payer: dict[str, Any]
    bill_instead: dict[str, str]

    @classmethod
    def load(cls, payer: str = "default", patterns_dir: str | None = None) -> ClaimRules:
        """Load the rules of ``patterns_dir`` (default: bundled) for payer profile ``payer``.

        Raises:
            PatternError: a rule file is invalid or the payer profile is unknown.
        """
        patterns = load_patterns(patterns_dir)
        return cls(
            hcpcs=HcpcsTable(patterns.hcpcs_drugs),
            rules=patterns.claim_rules,
            payer=resolve_profile(patterns.payers, payer),
            bill_instead=RequirementSpec(patterns.requirements).bill_instead(),
        )

    @property
    def admin_code(self) -> str:
        """The injection administration code (96372)."""
        return str(self.rules["admin_code"])

    @cached_property
    def findings(self) -> dict[str, Finding]:
        """The findings catalogue, in file order."""
        return {
            code: Finding(
                code,
                str(entry["meaning"]),
                str(entry["source"]),
                tuple(entry.get("subsumes") or ()),
            )
            for code, entry in self.rules["findings"].items()
        }

    @cached_property
    def code_pattern(self) -> re.Pattern[str]:
        """What a CPT/HCPCS code looks like (``claim_rules.yaml`` ``code_pattern``)."""
        return re.compile(str(self.rules["code_pattern"]))

    def is_em_requiring_25(self, code: str) -> bool:
        """True when E/M ``code`` needs modifier 25 beside the admin code."""
        return any(
            r["from"] <= code <= r["to"] and len(code) == len(r["from"])
            for r in self.rules["em_codes_requiring_modifier"]
        )

    def is_drug_code(self, code: str) -> bool:
        """True when ``code`` has a drug-code prefix (``drug_code_prefixes``)."""
        prefixes = tuple(str(p).upper() for p in self.rules["drug_code_prefixes"])
        return code.startswith(prefixes)
