"""Redaction eval: personal data in the shapes people type, and look-alikes that must stay.

Each case is a text with `pii` (exact substrings that must not survive redaction) and `keep`
(exact substrings that resemble personal data but are not: prices, dates, model numbers,
hotlines, order codes; they must stay verbatim). A `pii` item counts as caught when neither
the item nor five or more of its digits in a row (separators ignored), nor the local part of
an e-mail, is left in the output: a half-redacted number is a leak. A look-alike counts as a
false positive when it does not survive verbatim.

Two sets, by two writers who never saw the redactor: `evals/redaction.yaml` (held out,
gated) and `evals/data/redaction_dev.yaml` (the set fixes were checked against, reported).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.core.redaction import redact

# Separators people put inside numbers: removed before looking for leaked digit runs.
_INSIDE_NUMBER = re.compile(r"(?<=\d)[\s.\-()\u00a0\u2007\u2009\u202f\u2010-\u2015\u2212]+(?=\d)")
_EMAIL_LOCAL = re.compile(r"^\s*([\w.+-]+?)\s*(?:@|[(\[{]\s*(?:at|a)\s*[)\]}]|\s+at\s+)", re.I)
LEAKED_DIGITS = 5


class RedactionCase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    pii: list[str] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _substrings(self) -> RedactionCase:
        missing = [s for s in [*self.pii, *self.keep] if s not in self.text]
        if missing:
            raise ValueError(f"not in the text: {missing}")
        return self


def load_cases(path: Path) -> list[RedactionCase]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [RedactionCase.model_validate(c) for c in data]


def _runs(text: str) -> list[str]:
    return re.findall(r"\d+", _INSIDE_NUMBER.sub("", text))


def leaked(item: str, output: str, rest: str = "") -> bool:
    """Whether personal data `item` (or enough of it to matter) is still in `output`;
    `rest`: the rest of the input, whose own numbers (an order number) are no leak."""
    if item in output:
        return True
    digits = re.sub(r"\D", "", item)
    if len(digits) >= LEAKED_DIGITS:
        others = _runs(rest)
        for run in _runs(output):
            for i in range(len(run) - LEAKED_DIGITS + 1):
                window = run[i : i + LEAKED_DIGITS]
                if window in digits and not any(window in o for o in others):
                    return True
    if m := _EMAIL_LOCAL.match(item):
        local = m.group(1)
        if len(local) >= 3 and re.search(rf"(?<![\w.+-]){re.escape(local)}(?![\w+-])", output):
            return True
    return False


def evaluate_set(cases: list[RedactionCase]) -> tuple[dict[str, float], list[dict]]:
    caught = items = damaged = lookalikes = changed_negatives = negatives = 0
    failures: list[dict] = []
    for case in cases:
        out = redact(case.text)[0]
        rest = case.text
        for p in case.pii:
            rest = rest.replace(p, " ")
        missed = [p for p in case.pii if leaked(p, out, rest)]
        broken = [k for k in case.keep if k not in out]
        items += len(case.pii)
        caught += len(case.pii) - len(missed)
        lookalikes += len(case.keep)
        damaged += len(broken)
        if not case.pii:
            negatives += 1
            changed_negatives += out != case.text
        if missed or broken or (not case.pii and out != case.text):
            failures.append({"text": case.text, "output": out, "missed": missed,
                             "damaged": broken, "note": case.note})  # fmt: skip
    metrics = {
        "recall": caught / items if items else 1.0,
        "false_positive_rate": damaged / lookalikes if lookalikes else 0.0,
        "negatives_changed": changed_negatives / negatives if negatives else 0.0,
        "personal_data_items": float(items),
        "look_alikes": float(lookalikes),
    }
    return metrics, failures


def evaluate(held_out: Path, dev: Path) -> tuple[dict[str, float], list[dict]]:
    """Held-out metrics under their own names (gated); the dev set's as `dev_*` (reported)."""
    metrics, failures = evaluate_set(load_cases(held_out))
    dev_metrics, dev_failures = evaluate_set(load_cases(dev))
    metrics |= {f"dev_{k}": v for k, v in dev_metrics.items()}
    return metrics, failures + [{"set": "dev", **f} for f in dev_failures]
