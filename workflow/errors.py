"""What can go wrong when driving a dossier; the web layer maps each to an HTTP status."""

from __future__ import annotations

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
