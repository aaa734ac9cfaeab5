"""``auditor appraise``: the error rate of a reviewed sample with exact confidence intervals,
and, for claim lines with paid amounts, the overpayment projected to the frame.

Distributions come from scipy (``scipy.stats.binomtest`` for the Clopper-Pearson interval,
``scipy.stats.hypergeom``, ``scipy.stats.beta``, ``scipy.stats.t``); written here, because no
maintained library has them: the hypergeometric limits by test inversion, the stratified
combination, and the two variable estimators.

Attribute appraisal, per stratum (``x`` errors in ``n`` reviewed units of a frame of ``N``):

- binomial (Clopper-Pearson, exact): two-sided ``[B(a/2; x, n-x+1), B(1-a/2; x+1, n-x)]`` with
  ``B`` the beta quantile and ``a = 1 - confidence``; one-sided upper ``B(1-a; x+1, n-x)``.
  Checked against R's ``binom.test`` example (Conover, W. J. (1971) *Practical Nonparametric
  Statistics*, pp. 97-104: 682 of 925, 95% interval 0.7076683-0.7654066).
- hypergeometric (exact for sampling without replacement from a finite frame): the upper limit
  on the number of errors ``K`` in the frame is the largest ``K`` with
  ``P(X <= x | N, K, n) > a`` (``a/2`` two-sided), the lower limit the smallest ``K`` with
  ``P(X >= x | N, K, n) > a``; rates are ``K / N`` (the exact method for a finite frame:
  Wright, T. (1991) *Exact Confidence Bounds when Sampling from Small Finite Universes*,
  Springer Lecture Notes in Statistics 66). It is the headline method
  when the frame is small: sampling fraction ``n / N >= 0.05``.

Stratified samples combine the strata with weights ``W_h = N_h / N``: ``p = sum W_h p_h``,
``v = sum W_h^2 (1 - n_h/N_h) p_h (1 - p_h) / (n_h - 1)``, and a Clopper-Pearson interval on
the effective sample size ``n* = p (1 - p) / v`` (Korn, E. L. and Graubard, B. I. (1998)
"Confidence intervals for proportions with small expected number of positive counts estimated
from survey data", *Survey Methodology* 24(2): 193-201; without their degrees-of-freedom
adjustment). A stratified sample with proportional allocation gives the plain interval.

Variable appraisal (claim lines with a paid amount ``x_i``; audited amount ``y_i``; overpayment
``d_i = x_i - y_i``), per stratum and summed, with ``t`` of ``n - H`` degrees of freedom and the
lower limit of the one-sided 90% interval (the overpayment demand of CMS, Medicare Program
Integrity Manual, chapter 8, section 8.4.5.1):

- mean-per-unit: audited total ``Y = sum N_h mean(y_h)``, overpayment ``X - Y`` (``X`` the
  frame's paid total), standard error ``sqrt(sum N_h^2 (1 - n_h/N_h) s_y,h^2 / n_h)``;
- difference: overpayment ``sum N_h mean(d_h)``, standard error likewise from ``s_d,h``.

The audited amount of a line is the decision's ``audited_amount`` when the reviewer gave one;
else, when a claim finding of the line was accepted, the paid amount times
``supported_units / units`` (0 when no unit is supported); else the paid amount.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import SampleError
from .review import PENDING, Decision, claim_findings, findings_of, read_rows, spec_id

PAID_COLUMNS = ("paid_amount", "paid", "amount_paid", "paid_amt", "payment", "payment_amount")
SMALL_FRAME_FRACTION = 0.05  # hypergeometric is the headline method from this sampling fraction
VARIABLE_CONFIDENCE = 0.90  # one-sided, for the overpayment's lower limit
DEFAULT_KINDS = {"notes": ("missing",), "claims": ("claim",)}


# --- attribute appraisal --------------------------------------------------------------------


def binomial_limits(x: int, n: int, confidence: float) -> dict[str, float]:
    """Clopper-Pearson limits of a rate from ``x`` of ``n`` (``n >= 1``).

    Returns:
        ``{"lower", "upper"}`` (two-sided at ``confidence``) and ``"upper_one_sided"``,
        ``"lower_one_sided"`` (one-sided at ``confidence``).
    """
    from scipy.stats import binomtest

    two = binomtest(x, n).proportion_ci(confidence, "exact")
    upper = binomtest(x, n, alternative="less").proportion_ci(confidence, "exact").high
    lower = binomtest(x, n, alternative="greater").proportion_ci(confidence, "exact").low
    return {
        "lower": float(two.low),
        "upper": float(two.high),
        "lower_one_sided": float(lower),
        "upper_one_sided": float(upper),
    }


def hypergeometric_limits(x: int, n: int, big_n: int, confidence: float) -> dict[str, float]:
    """Exact limits on the number of errors ``K`` in a frame of ``big_n`` from ``x`` errors in
    a sample of ``n`` drawn without replacement (module docstring), as rates ``K / big_n``.

    Returns:
        ``{"lower", "upper", "lower_one_sided", "upper_one_sided"}`` as rates, and the same
        keys with ``_count`` appended as numbers of errors.
    """
    import numpy as np
    from scipy.stats import hypergeom

    ks = np.arange(x, big_n - (n - x) + 1)  # error counts the sample allows
    le = hypergeom.cdf(x, big_n, ks, n)  # P(X <= x | K), falls with K
    ge = hypergeom.sf(x - 1, big_n, ks, n)  # P(X >= x | K), rises with K
    a = 1 - confidence

    def upper(alpha: float) -> int:
        ok = ks[le > alpha]
        return int(ok.max()) if ok.size else x

    def lower(alpha: float) -> int:
        ok = ks[ge > alpha]
        return int(ok.min()) if ok.size else x

    counts = {
        "lower": lower(a / 2),
        "upper": upper(a / 2),
        "lower_one_sided": lower(a),
        "upper_one_sided": upper(a),
    }
    return {k: v / big_n for k, v in counts.items()} | {f"{k}_count": v for k, v in counts.items()}


def attribute_appraisal(x: int, n: int, big_n: int, confidence: float) -> dict[str, Any]:
    """The error rate of one stratum (or a simple random sample) with both exact intervals.

    Returns:
        ``{"N", "n", "errors", "rate", "projected_errors", "method", "binomial",
        "hypergeometric", "lower", "upper", "upper_one_sided"}``; ``method`` names the
        headline interval (``lower``/``upper``): hypergeometric when ``n / N >= 0.05``.
        With ``n == 0`` the rate and limits are None.
    """
    out: dict[str, Any] = {"N": big_n, "n": n, "errors": x}
    if n == 0:
        return out | {"rate": None, "projected_errors": None, "method": None}
    rate = x / n
    binom = binomial_limits(x, n, confidence)
    hyper = hypergeometric_limits(x, n, big_n, confidence)
    method = "hypergeometric" if n / big_n >= SMALL_FRAME_FRACTION else "binomial"
    head = hyper if method == "hypergeometric" else binom
    return out | {
        "rate": rate,
        "projected_errors": rate * big_n,
        "method": method,
        "lower": head["lower"],
        "upper": head["upper"],
        "lower_one_sided": head["lower_one_sided"],
        "upper_one_sided": head["upper_one_sided"],
        "binomial": binom,
        "hypergeometric": hyper,
    }


def combined_appraisal(strata: list[dict[str, Any]], confidence: float) -> dict[str, Any]:
    """Combine stratum appraisals (each ``{"N", "n", "errors"}``) by the stratified estimator
    and the effective-sample-size Clopper-Pearson interval (module docstring)."""
    from scipy.stats import beta

    big_n = sum(s["N"] for s in strata)
    used = [s for s in strata if s["n"] > 0]
    n = sum(s["n"] for s in used)
    if not used:
        return {"N": big_n, "n": 0, "errors": 0, "rate": None}
    weight_seen = sum(s["N"] for s in used)
    p = sum(s["N"] / weight_seen * s["errors"] / s["n"] for s in used)
    v = 0.0
    for s in used:
        w, ph = s["N"] / weight_seen, s["errors"] / s["n"]
        if s["n"] > 1:
            v += w * w * (1 - s["n"] / s["N"]) * ph * (1 - ph) / (s["n"] - 1)
    n_eff = min(n, p * (1 - p) / v) if v > 0 else n
    xs = p * n_eff
    a = 1 - confidence

    def lo(alpha: float) -> float:
        return 0.0 if xs <= 0 else float(beta.ppf(alpha, xs, n_eff - xs + 1))

    def hi(alpha: float) -> float:
        return 1.0 if xs >= n_eff else float(beta.ppf(1 - alpha, xs + 1, n_eff - xs))

    return {
        "N": big_n,
        "n": n,
        "errors": sum(s["errors"] for s in used),
        "rate": p,
        "projected_errors": p * big_n,
        "variance": v,
        "effective_n": n_eff,
        "method": "stratified (Korn-Graubard)",
        "lower": lo(a / 2),
        "upper": hi(a / 2),
        "lower_one_sided": lo(a),
        "upper_one_sided": hi(a),
        "strata_without_units": [s.get("stratum") for s in strata if s["n"] == 0],
    }


# --- variable appraisal ---------------------------------------------------------------------


def variable_appraisal(
    strata: list[dict[str, Any]], confidence: float = VARIABLE_CONFIDENCE
) -> dict[str, Any]:
    """Overpayment in the frame by mean-per-unit and by difference estimation.

    Args:
        strata: per stratum ``{"N", "X" (frame paid total), "paid": [x_i], "audited": [y_i]}``.
        confidence: one-sided level of the lower limit (0.90).

    Returns:
        ``{"mean_per_unit": {...}, "difference": {...}, "df", "t", "confidence",
        "frame_paid"}``, each estimator with ``point``, ``se``, ``lower`` (one-sided) and
        ``upper`` (one-sided at the same level).

    Raises:
        SampleError: fewer than two reviewed units in all.
    """
    from statistics import fmean, variance

    from scipy.stats import t

    n = sum(len(s["paid"]) for s in strata)
    used = [s for s in strata if s["paid"]]
    df = n - len(used)
    if n < 2 or df < 1:
        raise SampleError("a variable appraisal needs at least two reviewed claim lines")
    tq = float(t.ppf(confidence, df))
    frame_paid = sum(s["X"] for s in strata)

    def estimate(values_of: str) -> tuple[float, float]:
        total, var = 0.0, 0.0
        for s in used:
            vals = s[values_of]
            total += s["N"] * fmean(vals)
            if len(vals) > 1:
                var += s["N"] ** 2 * (1 - len(vals) / s["N"]) * variance(vals) / len(vals)
        return total, math.sqrt(var)

    for s in used:
        s["diff"] = [x - y for x, y in zip(s["paid"], s["audited"], strict=True)]
    y_total, se_y = estimate("audited")
    d_total, se_d = estimate("diff")
    mpu = frame_paid - y_total
    return {
        "confidence": confidence,
        "df": df,
        "t": tq,
        "frame_paid": frame_paid,
        "mean_per_unit": {
            "audited_total": y_total,
            "point": mpu,
            "se": se_y,
            "lower": mpu - tq * se_y,
            "upper": mpu + tq * se_y,
        },
        "difference": {
            "point": d_total,
            "se": se_d,
            "lower": d_total - tq * se_d,
            "upper": d_total + tq * se_d,
        },
    }


# --- the sample folder ----------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _paid_column(rows: list[dict[str, Any]], name: str | None) -> str | None:
    if name:
        if rows and not any(name in r for r in rows):
            raise SampleError(f"--paid-col {name}: no such field in claims.jsonl")
        return name
    keys = {k.lower(): k for r in rows[:1] for k in r}
    return next((keys[c] for c in PAID_COLUMNS if c in keys), None)


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def appraise(
    sample_dir: str | Path,
    decisions: Mapping[str, Decision],
    confidence: float = 0.90,
    kinds: list[str] | None = None,
    paid_col: str | None = None,
) -> dict[str, Any]:
    """Appraise a reviewed sample folder (``auditor sample``'s output).

    A unit is in error when the reviewer accepted one of its findings of a counted kind
    (default: ``missing`` for notes, ``claim`` for claim lines); it is pending (left out of
    ``n`` and listed) when one of those findings has no decision and none was accepted.

    Args:
        sample_dir: the sample folder (``sample.json``, ``sample.csv``, the report rows).
        decisions: from ``review.load_decisions``.
        confidence: level of the attribute intervals (one- and two-sided).
        kinds: finding kinds that count as errors.
        paid_col: the claim lines' paid amount field (default: detected, ``PAID_COLUMNS``).

    Returns:
        ``{"attribute": {"strata": [...], "combined": {...}}, "variable": {...} or None,
        "pending": [ids], "unmatched_decisions": n, ...}``.

    Raises:
        SampleError: not a sample folder, or bad options.
    """
    folder = Path(sample_dir)
    try:
        plan = json.loads((folder / "sample.json").read_text(encoding="utf-8"))
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        with open(folder / "sample.csv", encoding="utf-8", newline="") as handle:
            drawn = list(csv.DictReader(handle))
    except (OSError, ValueError) as exc:
        raise SampleError(f"{folder} is not a sample folder (sample.json, sample.csv)") from exc
    if not 0 < confidence < 1:
        raise SampleError(f"--confidence must be between 0 and 1 (got {confidence})")
    unit = plan["unit"]
    counted = tuple(kinds) if kinds else DEFAULT_KINDS[unit]
    spec = spec_id(run.get("source_run") or run)
    states: dict[int, str] = {}  # frame position -> error / clean / pending
    used: set[str] = set()
    paid: dict[int, float | None] = {}
    audited: dict[int, float | None] = {}
    # the sample's row files hold the sampled units in frame order
    positions = sorted(int(d["position"]) for d in drawn)
    if unit == "claims":
        lines = _jsonl(folder / "claims.jsonl")
        col = _paid_column(lines, paid_col or plan["frame"].get("paid_column"))
        for pos, line in zip(positions, lines, strict=True):
            items = claim_findings(line, spec)
            states[pos] = _state(items, decisions, counted, used)
            x = _number(line.get(col)) if col else None
            paid[pos] = x
            audited[pos] = _audited(x, line, items, decisions) if x is not None else None
    else:
        rows = list(read_rows(folder))
        for pos, (note, events) in zip(positions, rows, strict=True):
            states[pos] = _state(findings_of(note, events, spec), decisions, counted, used)
    stratum_of = {int(d["position"]): d["stratum"] for d in drawn}
    id_of = {int(d["position"]): d["id"] for d in drawn}
    sizes = {s["stratum"]: s["N"] for s in plan.get("strata") or []} or {"": plan["frame"]["N"]}
    per: dict[str, dict[str, Any]] = {h: {"x": 0, "n": 0, "pending": []} for h in sizes}
    for pos, state in states.items():
        h = stratum_of.get(pos, "")
        if state == PENDING:
            per[h]["pending"].append(id_of[pos])
        else:
            per[h]["n"] += 1
            per[h]["x"] += state == "error"
    strata_out = []
    for h, c in per.items():
        a = attribute_appraisal(c["x"], c["n"], sizes[h], confidence)
        strata_out.append({"stratum": h, **a, "pending": len(c["pending"])})
    combined = combined_appraisal(strata_out, confidence) if plan.get("strata") else strata_out[0]
    result: dict[str, Any] = {
        "sample": str(folder),
        "unit": unit,
        "method": plan["method"],
        "confidence": confidence,
        "counted_kinds": list(counted),
        "attribute": {"strata": strata_out if plan.get("strata") else None, "combined": combined},
        "pending": sorted(u for c in per.values() for u in c["pending"]),
        "decisions": len(decisions),
        "unmatched_decisions": len(set(decisions) - used),
        "variable": None,
    }
    if unit == "claims" and any(v is not None for v in paid.values()):
        result["variable"] = _variable(plan, states, paid, audited, stratum_of)
    return result


def _state(items: list[Any], decisions: Mapping[str, Decision], counted: tuple, used: set) -> str:
    state = "clean"
    for f in items:
        d = decisions.get(f.id)
        if d is not None:
            used.add(f.id)
        if f.kind not in counted:
            continue
        if d is None:
            state = PENDING if state == "clean" else state
        elif d.decision == "accepted":
            state = "error"
    return state


def _audited(
    x: float, line: dict[str, Any], items: list[Any], decisions: Mapping[str, Decision]
) -> float:
    accepted = False
    for f in items:
        d = decisions.get(f.id)
        if d is None:
            continue
        if d.extra.get("audited_amount") is not None:
            return float(d.extra["audited_amount"])
        accepted = accepted or d.decision == "accepted"
    if not accepted:
        return x
    units, supported = _number(line.get("units")), _number(line.get("supported_units"))
    if not units or supported is None:
        return 0.0
    return x * min(1.0, max(0.0, supported / units))


def _variable(
    plan: dict[str, Any],
    states: dict[int, str],
    paid: dict[int, float | None],
    audited: dict[int, float | None],
    stratum_of: dict[int, str],
) -> dict[str, Any]:
    frame_paid = plan["frame"].get("paid_by_stratum") or {}
    sizes = {s["stratum"]: s["N"] for s in plan.get("strata") or []} or {"": plan["frame"]["N"]}
    strata = {
        h: {"N": n, "X": float(frame_paid.get(h, 0.0)), "paid": [], "audited": []}
        for h, n in sizes.items()
    }
    for pos, state in states.items():
        if state == PENDING or paid.get(pos) is None:
            continue
        s = strata[stratum_of.get(pos, "")]
        s["paid"].append(paid[pos])
        s["audited"].append(audited[pos])
    out = variable_appraisal(list(strata.values()))
    out["strata"] = [
        {"stratum": h, "N": s["N"], "n": len(s["paid"]), "frame_paid": s["X"]}
        for h, s in strata.items()
    ]
    return out
