"""Secure by default: production mode, server-side sessions, login throttling, CSRF on login, headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from admin.app import create_app
from admin.auth import COOKIE, DEV_SECRET, SessionSigner
from admin.cli import app as cli
from tests.integration.test_api import PASSWORD, USERS, TestClient, sign_in, sign_out
from tests.journeys import make_runtime
from workflow.passwords import hash_password
from workflow.production import InsecureSettings, is_demo_database, mode, require_secure
from workflow.runtime import Runtime
from workflow.settings import ROOT, Settings
from workflow.tables import LoginThrottle, User

STRONG = "s" * 40
SIGNING_KEY = "cHJvZHVjdGlvbi10ZXN0LXNpZ25pbmcta2V5LTMyYnk="  # 32 bytes in base64, not the development key
PRODUCTION = {
    "env": "production",
    "signing_key": SIGNING_KEY,
    "session_secret": STRONG + "-session",
    "id_number_salt": STRONG + "-salt",
    "id_number_key": STRONG + "-key",
}


def production_runtime(tmp_path: Path, **settings: Any) -> Runtime:
    rt, _ = make_runtime(f"sqlite:///{tmp_path}/prod.db")
    rt.settings = rt.settings.model_copy(update={**PRODUCTION, **settings})
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = [{"username": u, "agency_id": a, "role": r, "password_hash": hashed} for u, (a, r) in USERS.items()]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    return rt


@pytest.fixture
def prod(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    rt = production_runtime(tmp_path)
    with TestClient(create_app(rt)) as client:
        yield client, rt
    rt.db.dispose()


def client_at(rt: Runtime, address: str) -> TestClient:
    return TestClient(create_app(rt), client=(address, 50000))


# ----------------------------------------------------------------------------- production mode


def test_production_is_the_default_for_every_database_but_the_demo_file() -> None:
    assert is_demo_database("sqlite:///var/rehab.db") and is_demo_database(f"sqlite:///{ROOT}/var/rehab.db")
    assert mode(Settings(env=None, database_url="sqlite:///var/rehab.db")) == "development"
    assert mode(Settings(env=None, database_url="sqlite:////srv/rehab/rehab.db")) == "production"
    assert mode(Settings(env=None, database_url="postgresql+psycopg://rehab@db/rehab")) == "production"
    assert mode(Settings(env="development", database_url="postgresql+psycopg://rehab@db/rehab")) == "development"


def test_production_mode_refuses_the_committed_secrets_naming_each_and_how_to_set_it() -> None:
    with pytest.raises(InsecureSettings) as refused:
        require_secure(Settings(env="production"))
    message = str(refused.value)

    assert "REHAB_SESSION_SECRET" in message and "REHAB_ID_NUMBER_SALT" in message and "REHAB_ID_NUMBER_KEY" in message
    assert "secrets.token_urlsafe" in message
    assert "REHAB_SIGNING_KEY" in message and "os.urandom(32)" in message
    strong = {"id_number_salt": STRONG, "id_number_key": STRONG, "signing_key": SIGNING_KEY}
    with pytest.raises(InsecureSettings, match="fewer than 32"):
        require_secure(Settings(env="production", session_secret="short", **strong))
    with pytest.raises(InsecureSettings, match="REHAB_SIGNING_KEY"):
        require_secure(Settings(env="production", session_secret=STRONG, **{**strong, "signing_key": None}))
    with pytest.raises(InsecureSettings, match="cannot be read"):
        require_secure(Settings(env="production", session_secret=STRONG, **{**strong, "signing_key": "not a key"}))
    require_secure(Settings(env="production", session_secret=STRONG, **strong))
    require_secure(Settings(env="development"))  # `make run`: the demo works out of the box


def test_the_web_app_does_not_start_in_production_with_the_default_secret(tmp_path: Path) -> None:
    rt, _ = make_runtime(f"sqlite:///{tmp_path}/p.db")
    rt.settings = rt.settings.model_copy(update={"env": "production"})

    with pytest.raises(InsecureSettings, match="session_secret"):
        create_app(rt)


@pytest.mark.parametrize("command", [["serve"], ["scheduler"], ["sweep"], ["demo", "--count", "1"]])
def test_the_server_scheduler_and_writing_commands_refuse_to_start(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    monkeypatch.setenv("REHAB_ENV", "production")
    monkeypatch.setenv("REHAB_SESSION_SECRET", "dev-only-change-me")

    result = CliRunner().invoke(cli, command)

    assert result.exit_code == 2
    assert "session_secret is the committed development default: set REHAB_SESSION_SECRET" in result.output
    assert "id_number_salt" in result.output


def test_read_only_commands_still_work_in_production_to_diagnose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    monkeypatch.setenv("REHAB_ENV", "production")

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0


# ----------------------------------------------------------------------------- sessions


def test_a_cookie_forged_with_the_development_secret_is_rejected_in_production(prod) -> None:  # type: ignore[no-untyped-def]
    client, _ = prod
    forged = SessionSigner(DEV_SECRET, hours=24 * 365 * 80).sign("admin")

    client.cookies.set(COOKIE, forged)

    assert client.get("/api/dossiers").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_a_session_cookie_of_a_development_server_does_not_open_a_production_one(tmp_path: Path) -> None:
    rt = production_runtime(tmp_path)
    dev = rt.settings.model_copy(update={"env": "development", "session_secret": DEV_SECRET})
    with TestClient(create_app(Runtime(dev, rt.db, rt.calendar, rt.regimes, rt.tz, rt.clock))) as development:
        assert sign_in(development, "admin").status_code == 303
        cookie = development.cookies[COOKIE]
    with TestClient(create_app(rt)) as production:
        production.cookies.set(COOKIE, cookie)

        assert production.get("/api/dossiers").status_code == 401


def test_a_logged_out_cookie_no_longer_works_anywhere(prod) -> None:  # type: ignore[no-untyped-def]
    client, rt = prod
    sign_in(client, "cax")
    copied = client.cookies[COOKIE]
    assert client.get("/api/dossiers").status_code == 200

    response = sign_out(client)
    client.cookies.set(COOKIE, copied)  # the copy an attacker kept

    assert response.headers["location"] == "/login"
    assert client.get("/api/dossiers").status_code == 401


def test_logout_without_the_pages_token_does_not_end_the_session(prod) -> None:  # type: ignore[no-untyped-def]
    client, _ = prod
    sign_in(client, "cax")

    client.post("/logout", data={"csrf": "0" * 32}, follow_redirects=False)

    assert client.get("/api/dossiers").status_code == 200


def test_an_admin_lists_and_revokes_another_users_session(prod) -> None:  # type: ignore[no-untyped-def]
    client, rt = prod
    with TestClient(create_app(rt)) as staff:
        sign_in(staff, "cax")
        sign_in(client, "admin")
        sessions = client.get("/api/v1/sessions").json()
        target = next(s for s in sessions if s["username"] == "cax")

        revoked = client.delete(f"/api/v1/sessions/{target['id']}")

        assert revoked.status_code == 200 and revoked.json()["revoked"] is True
        assert staff.get("/api/dossiers").status_code == 401
        assert {s["username"] for s in client.get("/api/v1/sessions").json()} == {"admin"}
        assert "token_hash" not in str(sessions)


def test_staff_see_and_revoke_only_their_own_sessions(prod) -> None:  # type: ignore[no-untyped-def]
    client, rt = prod
    with TestClient(create_app(rt)) as other:
        sign_in(other, "ubndx")
        sign_in(client, "cax")
        theirs = next(
            s for s in client.get("/api/v1/sessions", auth=("admin", PASSWORD)).json() if s["username"] == "ubndx"
        )

        assert {s["username"] for s in client.get("/api/v1/sessions").json()} == {"cax"}
        assert client.get("/api/v1/sessions?username=ubndx").status_code == 403
        assert client.delete(f"/api/v1/sessions/{theirs['id']}").status_code == 404
        assert other.get("/api/dossiers").status_code == 200


def test_a_session_expires_after_the_configured_hours(tmp_path: Path) -> None:
    from datetime import timedelta

    rt = production_runtime(tmp_path)
    app = create_app(rt)
    with TestClient(app) as client:
        sign_in(client, "cax")
        auth = app.state.auth
        real = auth.clock
        auth.clock = lambda: real() + timedelta(hours=rt.settings.session_hours, seconds=1)

        assert client.get("/api/dossiers").status_code == 401


# ----------------------------------------------------------------------------- login form


def test_a_login_post_without_the_forms_token_is_refused_and_signs_no_one_in(prod) -> None:  # type: ignore[no-untyped-def]
    client, _ = prod

    response = client.post("/login", data={"username": "cax", "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 403 and "hết hạn" in response.text
    assert COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/api/dossiers").status_code == 401


def test_password_guessing_locks_out_the_guessing_client_not_the_real_user(prod) -> None:  # type: ignore[no-untyped-def]
    _, rt = prod
    with client_at(rt, "203.0.113.9") as attacker, client_at(rt, "198.51.100.7") as user:
        wrong = [sign_in(attacker, "cax", "guess").status_code for _ in range(5)]
        locked = sign_in(attacker, "cax")  # even the right password, from the guessing client
        real = sign_in(user, "cax")

        assert wrong == [401] * 5
        assert locked.status_code == 429 and "thử lại sau" in locked.text
        assert int(locked.headers["retry-after"]) > 60
        assert real.status_code == 303 and user.get("/api/dossiers").status_code == 200


def test_one_address_guessing_many_usernames_is_locked_out(prod) -> None:  # type: ignore[no-untyped-def]
    _, rt = prod
    with client_at(rt, "203.0.113.9") as attacker, client_at(rt, "198.51.100.7") as user:
        for i in range(20):
            sign_in(attacker, f"user{i}", "guess")

        assert sign_in(attacker, "ubndx").status_code == 429
        assert sign_in(user, "ubndx").status_code == 303


def test_a_distributed_attack_on_one_username_is_slowed_but_the_users_own_browser_gets_in(prod) -> None:  # type: ignore[no-untyped-def]
    _, rt = prod
    with client_at(rt, "192.0.2.200") as browser:
        assert sign_in(browser, "cax").status_code == 303  # signed in here before: a device cookie
        sign_out(browser)
        for i in range(11):  # the free allowance (10) and one more: each of these is counted
            with client_at(rt, f"192.0.2.{i}") as bot:
                assert sign_in(bot, "cax", "guess").status_code == 401
        throttle = browser.app.state.auth.throttle  # type: ignore[attr-defined]
        for i in range(11, 16):  # more bots, recorded directly (an HTTP try inside the delay is refused uncounted,
            # so on a slow machine the 2-second delay of the 11th could lapse before the new bot tries)
            throttle.failed("cax", f"192.0.2.{i}", browser.app.state.auth.clock())  # type: ignore[attr-defined]
        with client_at(rt, "192.0.2.100") as new_bot:  # 16 failures: the delay is at its cap (a minute)
            slowed = sign_in(new_bot, "cax")

        assert slowed.status_code == 429
        assert sign_in(browser, "cax").status_code == 303


def test_the_throttle_is_in_the_database_shared_by_every_server_process(prod) -> None:  # type: ignore[no-untyped-def]
    _, rt = prod
    with client_at(rt, "203.0.113.9") as first, client_at(rt, "203.0.113.9") as second:  # two app instances
        for _ in range(5):
            sign_in(first, "cax", "guess")

        assert sign_in(second, "cax").status_code == 429
    with rt.db.connect() as conn:
        keys = conn.execute(select(LoginThrottle.__table__.c.key)).scalars().all()  # type: ignore[attr-defined]
    assert keys and not any("cax" in k or "203.0.113" in k for k in keys)  # keyed digests only


def test_http_basic_is_throttled_too_with_a_429_and_retry_after(prod) -> None:  # type: ignore[no-untyped-def]
    client, _ = prod
    for _ in range(5):
        assert client.get("/api/dossiers", auth=("cax", "guess")).status_code == 401

    refused = client.get("/api/dossiers", auth=("cax", PASSWORD))

    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_an_unknown_username_costs_a_hash_as_slow_as_a_real_one(prod, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import admin.auth

    client, _ = prod
    checked: list[str] = []
    real = admin.auth.verify_password
    monkeypatch.setattr(admin.auth, "verify_password", lambda pw, stored: checked.append(stored) or real(pw, stored))

    sign_in(client, "cax", "wrong")
    sign_in(client, "nobody", "wrong")

    iterations = [stored.split("$")[1] for stored in checked]
    assert len(iterations) == 2 and iterations[0] == iterations[1]


def test_throttle_rows_older_than_the_window_are_removed(prod) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    client, rt = prod
    throttle = client.app.state.auth.throttle  # type: ignore[attr-defined]
    long_ago = rt.now() - timedelta(hours=2)
    throttle.failed("old", "192.0.2.1", long_ago)
    throttle._pruned = 0.0

    throttle.failed("new", "192.0.2.2", rt.now())

    with rt.db.connect() as conn:
        count = conn.execute(select(func.count()).select_from(LoginThrottle.__table__)).scalar()  # type: ignore[arg-type]
    assert count == 3  # the new failure's pair, address and username; the old ones are gone


# ----------------------------------------------------------------------------- headers and cookies


def test_every_answer_carries_the_security_headers_and_no_hsts_over_http(prod) -> None:  # type: ignore[no-untyped-def]
    client, _ = prod

    for response in (client.get("/login"), client.get("/healthz"), client.get("/api/dossiers")):
        csp = response.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]+)", csp)
        assert script_src is not None and script_src.group(1) == "'self'"
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers


def test_an_https_base_url_gives_hsts_and_secure_cookies_whatever_the_proxy_says(tmp_path: Path) -> None:
    rt = production_runtime(tmp_path, base_url="https://rehab.example.gov.vn")
    app = create_app(rt)
    with TestClient(app) as client:  # the proxy forwards plain http
        form = client.get("/login")
    with TestClient(app, base_url="https://rehab.example.gov.vn") as client:
        response = sign_in(client, "cax")

    assert form.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "Secure" in form.headers["set-cookie"]
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{COOKIE}="))
    assert "Secure" in session and "HttpOnly" in session


def test_scripts_are_served_as_files_under_the_same_policy(prod) -> None:  # type: ignore[no-untyped-def]
    client, _ = prod

    script = client.get("/static/confirm.js")

    assert script.status_code == 200 and "data-confirm" in script.text
    assert script.headers["x-content-type-options"] == "nosniff"


def test_no_template_has_an_inline_script_or_event_handler() -> None:
    templates = Path(__file__).resolve().parents[2] / "admin" / "templates"
    for page in templates.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), page.name
        assert not re.search(r"\son[a-z]+\s*=", text), page.name
