"""The users of the web app and the API: created, changed, given a new password and disabled by an
administrator (the `admin` pages and `/api/v1/users`). Nothing here reads or writes a dossier.

Rows are never deleted: a user who leaves is disabled, so the names in the transition log keep meaning
someone. A disabled user can no longer sign in, and neither a session nor HTTP Basic nor a token of
theirs is accepted (`admin.auth.Users` reads `disabled` on every request). Every change is logged with
the administrator who made it, never with a password.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, func, insert, select, update

from vocabulary import AgencyType
from workflow.credentials import revoke_user_credentials
from workflow.db import reading
from workflow.directory import Directory
from workflow.errors import InvalidInput, WorkflowError
from workflow.passwords import ITERATIONS, hash_password
from workflow.tables import User

log = structlog.get_logger(__name__)

USER = User.__table__  # type: ignore[attr-defined]
PASSWORD_ITERATIONS = ITERATIONS  # tests lower it; the stored hash records its own count
MIN_PASSWORD = 8
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")

ROLES: dict[str, str] = {
    "staff": "Cán bộ",
    "supervisor": "Lãnh đạo",
    "procurator": "Kiểm sát viên (chỉ xem)",
    "admin": "Quản trị hệ thống",
}
PROCURACIES = frozenset({AgencyType.PROCURACY.value})


class UserNotFound(WorkflowError):
    def __init__(self, username: str) -> None:
        super().__init__(f"user '{username}' not found")
        self.username = username


@dataclass(frozen=True, slots=True)
class UserRow:
    username: str
    role: str
    agency_id: str | None
    display_name: str
    disabled: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "role": self.role,
            "role_label": ROLES.get(self.role, self.role),
            "agency_id": self.agency_id,
            "display_name": self.display_name,
            "disabled": self.disabled,
        }


def _row(r: Any) -> UserRow:
    return UserRow(r.username, r.role, r.agency_id, r.display_name or "", bool(r.disabled))


def list_users(db: Engine) -> list[UserRow]:
    with reading(db) as conn:
        return [_row(r) for r in conn.execute(select(USER).order_by(USER.c.disabled, USER.c.username))]


def get_user(db: Engine, username: str) -> UserRow:
    with reading(db) as conn:
        found = conn.execute(select(USER).where(USER.c.username == username)).first()
    if found is None:
        raise UserNotFound(username)
    return _row(found)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "password",
            f"at least {MIN_PASSWORD} characters",
            reason_vi=f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.",
        )


def check_role(directory: Directory, role: str, agency_id: str | None, today: date) -> None:
    """A role and an agency that fit: admins belong to no agency; everyone else to one in office today,
    and a procurator to a procuracy."""
    if role not in ROLES:
        raise InvalidInput("role", f"one of {', '.join(ROLES)}", reason_vi="Vai trò không hợp lệ.")
    if role == "admin":
        if agency_id:
            raise InvalidInput("agency_id", "an administrator belongs to no agency", reason_vi=_NO_AGENCY)
        return
    agency = directory.agencies.get(agency_id or "")
    if agency is None:
        raise InvalidInput("agency_id", "required: an agency of the directory", reason_vi="Hãy chọn cơ quan.")
    if not agency.valid_on(today):
        raise InvalidInput("agency_id", "the agency is not in office today", reason_vi=_GONE)
    if role == "procurator" and agency.type not in PROCURACIES:
        raise InvalidInput("agency_id", "a procurator belongs to a procuracy", reason_vi=_PROCURACY)


_NO_AGENCY = "Quản trị hệ thống không thuộc cơ quan nào; hãy bỏ chọn cơ quan."
_GONE = "Cơ quan này không còn hoạt động; hãy chọn cơ quan kế thừa."
_PROCURACY = "Kiểm sát viên phải thuộc một Viện kiểm sát."


def create_user(
    db: Engine,
    *,
    username: str,
    role: str,
    agency_id: str | None,
    display_name: str,
    password: str,
    by: str,
    today: date,
) -> UserRow:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInput(
            "username",
            "3-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit",
            reason_vi="Tên đăng nhập: 3–64 ký tự a-z, 0-9, dấu chấm, gạch dưới hoặc gạch ngang.",
        )
    check_password(password)
    with db.begin() as conn:
        check_role(Directory.load(conn), role, agency_id or None, today)
        if conn.execute(select(USER.c.username).where(USER.c.username == name)).first() is not None:
            raise InvalidInput("username", "already taken", reason_vi="Tên đăng nhập này đã có người dùng.")
        row = {
            "username": name,
            "role": role,
            "agency_id": agency_id or None,
            "display_name": display_name.strip(),
            "password_hash": hash_password(password, iterations=PASSWORD_ITERATIONS),
            "disabled": False,
        }
        conn.execute(insert(USER).values(**row))
    log.info("user.created", user=name, role=role, agency=agency_id, by=by)
    return get_user(db, name)


def change_user(
    db: Engine, username: str, *, role: str, agency_id: str | None, display_name: str, by: str, today: date
) -> UserRow:
    with db.begin() as conn:
        current = _locked(conn, username)
        check_role(Directory.load(conn), role, agency_id or None, today)
        if current.role == "admin" and role != "admin" and not current.disabled:
            _keep_an_admin(conn, username)
        values = {"role": role, "agency_id": agency_id or None, "display_name": display_name.strip()}
        conn.execute(update(USER).where(USER.c.username == username).values(**values))
    log.info("user.changed", user=username, role=role, agency=agency_id, by=by)
    return get_user(db, username)


def reset_password(db: Engine, username: str, password: str | None, *, by: str) -> str | None:
    """Set a new password; with none given, generate one and return it (shown once, never stored plain)."""
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    check_password(password)
    hashed = hash_password(password, iterations=PASSWORD_ITERATIONS)
    with db.begin() as conn:
        _locked(conn, username)
        conn.execute(update(USER).where(USER.c.username == username).values(password_hash=hashed))
    revoke_user_credentials(db, username, datetime.now(UTC))  # the old password's sessions and tokens end
    log.info("user.password_reset", user=username, by=by)
    return generated


def set_disabled(db: Engine, username: str, disabled: bool, *, by: str) -> UserRow:
    """Disable (or enable again) a user. Nobody disables themselves, nor the last active administrator."""
    with db.begin() as conn:
        current = _locked(conn, username)
        if disabled and username == by:
            raise InvalidInput(
                "username", "you cannot disable yourself", reason_vi="Không thể tự khóa tài khoản của mình."
            )
        if disabled and current.role == "admin":
            _keep_an_admin(conn, username)
        conn.execute(update(USER).where(USER.c.username == username).values(disabled=disabled))
    if disabled:  # enabling again later does not bring old sessions or tokens back
        revoke_user_credentials(db, username, datetime.now(UTC))
    log.info("user.disabled" if disabled else "user.enabled", user=username, by=by)
    return get_user(db, username)


def _locked(conn: Connection, username: str) -> UserRow:
    found = conn.execute(select(USER).where(USER.c.username == username).with_for_update()).first()
    if found is None:
        raise UserNotFound(username)
    return _row(found)


def _keep_an_admin(conn: Connection, username: str) -> None:
    others = conn.execute(
        select(func.count())
        .select_from(USER)
        .where(USER.c.role == "admin", USER.c.disabled.is_(False), USER.c.username != username)
    ).scalar_one()
    if not others:
        raise InvalidInput(
            "role",
            "the last active administrator must stay one",
            reason_vi="Đây là quản trị viên cuối cùng còn hoạt động; hãy tạo quản trị viên khác trước.",
        )


__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "UserNotFound",
    "UserRow",
    "change_user",
    "check_role",
    "create_user",
    "get_user",
    "list_users",
    "reset_password",
    "set_disabled",
]
