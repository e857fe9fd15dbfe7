"""What can go wrong when driving a dossier; the web layer maps each to an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class WorkflowError(Exception):
    """Base class: a clear, expected failure with a one-line message."""


class DossierNotFound(WorkflowError):
    def __init__(self, dossier_id: object) -> None:
        super().__init__(f"dossier {dossier_id} not found")
        self.dossier_id = dossier_id


class InvalidInput(WorkflowError):
    """Bad input: names the field and the reason (in English; `reason_vi` in Vietnamese, which the API and
    pages show first). Nothing is changed but the attempt's log entry.

    `errors` lists every problem found at once, each shaped as a refusal: {code, reason_vi, reason_en,
    basis, field}; the first is also `field` / `reason` / `reason_vi`.
    """

    def __init__(
        self,
        field: str,
        reason: str,
        result: Any = None,
        *,
        reason_vi: str = "",
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.reason_vi = reason_vi or f"Dữ liệu không hợp lệ ({field}): {reason}"
        self.result = result
        self.errors = errors or [
            {
                "code": "payload.invalid",
                "reason_vi": self.reason_vi,
                "reason_en": f"{field}: {reason}",
                "basis": "",
                "unconfirmed": False,
                "field": field,
            }
        ]


class StepNotAvailable(WorkflowError):
    def __init__(self, state: str, event: str, available: list[str], result: Any = None) -> None:
        listed = ", ".join(available) or "none"
        super().__init__(f"step '{event}' is not available in state '{state}' (available: {listed})")
        self.state = state
        self.event = event
        self.available = available
        self.result = result


class VersionConflict(WorkflowError):
    def __init__(self, dossier_id: int, expected: int, actual: int, result: Any = None) -> None:
        super().__init__(
            f"dossier {dossier_id} changed meanwhile: expected version {expected}, it is now {actual}; "
            "reload and try again"
        )
        self.expected = expected
        self.actual = actual
        self.result = result


class StepRefused(WorkflowError):
    """The law does not allow the step now; `result.refusals` lists every unmet condition."""

    def __init__(self, result: Any) -> None:
        codes = ", ".join(r["code"] for r in result.refusals)
        super().__init__(f"step '{result.event}' refused: {codes}")
        self.result = result


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field's problem: a stable code, and the message in Vietnamese and English."""

    field: str
    code: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_vi": self.message_vi, "message_en": self.message_en}


def problems_of(err: InvalidInput) -> list[FieldProblem]:
    """Every field problem of an input error (one for a plain `InvalidInput`)."""
    if isinstance(err, InvalidFields):
        return list(err.problems)
    return [
        FieldProblem(str(e.get("field") or err.field), str(e["code"]), str(e["reason_vi"]), str(e["reason_en"]))
        for e in err.errors
    ]


class InvalidFields(InvalidInput):
    """Several fields are wrong at once (a form or a request body): every problem, each naming its field.
    `field` and `reason` are the first problem's, for callers that show one."""

    def __init__(self, problems: list[FieldProblem], result: Any = None) -> None:
        errors = [
            {
                "code": f"field.{p.code}",
                "reason_vi": p.message_vi,
                "reason_en": f"{p.field}: {p.message_en}",
                "basis": "",
                "unconfirmed": False,
                "field": p.field,
            }
            for p in problems
        ]
        first = problems[0]
        super().__init__(first.field, first.message_en, result, reason_vi=first.message_vi, errors=errors)
        self.problems = problems
        self.args = ("; ".join(f"{p.field}: {p.message_en}" for p in problems),)

    def __str__(self) -> str:
        return str(self.args[0])


class IdempotencyConflict(WorkflowError):
    """An idempotency key reused for a different request (another dossier, step or body): 409."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"idempotency_key: {reason}")
        self.reason = reason


class OutsideJurisdiction(WorkflowError):
    """The actor's agency has no jurisdiction over the dossier (an agency of another area):
    answered 403 and counted in the security log, never written on the dossier's chain."""

    def __init__(self, dossier_id: int, agency_id: str | None) -> None:
        super().__init__(f"agency {agency_id or '(none)'} has no jurisdiction over dossier {dossier_id}")
        self.dossier_id = dossier_id
        self.agency_id = agency_id
