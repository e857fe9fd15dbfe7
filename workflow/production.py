"""Production mode: secure by default, refusing to start with the committed development secrets.

`REHAB_ENV=production` (or `development`) chooses the mode; unset, it is development only for the demo's
own SQLite file (`make run`) and production for every other database. In production mode the web
server, the scheduler and every command that needs a secret refuse to start while a secret is a
committed default or too short, and say which one and how to set it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from workflow.settings import ROOT, Settings
from workflow.signing import DEVELOPMENT_KEY, GENERATE_KEY, SigningKeyError, load_private

DEMO_DATABASE = ROOT / "var" / "rehab.db"
MIN_SECRET_LENGTH = 32
# Committed defaults: known to anyone who has read the repository.
DEVELOPMENT_SECRETS = frozenset({"dev-only-change-me", "rehab-demo-salt", "rehab-demo-id-key", ""})
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class InsecureSettings(ValueError):
    """Production mode with a development or weak secret: the process must not start."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n  - ".join(problems)
        super().__init__(
            f"production mode (REHAB_ENV=production) refuses to start:\n  - {lines}\n"
            f"Generate each secret with: {GENERATE}\n"
            "For a local trial on the demo database only, set REHAB_ENV=development."
        )


def is_demo_database(url: str) -> bool:
    """Whether `url` is the demo's SQLite file, var/rehab.db of this checkout (relative or absolute)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return False
    path = Path(parsed.database)
    candidates = {path.resolve(), (ROOT / path).resolve()} if not path.is_absolute() else {path.resolve()}
    return DEMO_DATABASE.resolve() in candidates


def mode(settings: Settings) -> str:
    """`production` or `development`: REHAB_ENV if set, else development only on the demo database."""
    if settings.env:
        return settings.env
    return "development" if is_demo_database(settings.database_url) else "production"


def is_production(settings: Settings) -> bool:
    return mode(settings) == "production"


def secret_problems(settings: Settings) -> list[str]:
    """Each secret that is a committed default or shorter than MIN_SECRET_LENGTH, with how to set it."""
    problems = []
    secrets = (
        ("session_secret", settings.session_secret),
        ("id_number_salt", settings.id_number_salt),
        ("id_number_key", settings.id_number_key),
    )
    for name, value in secrets:
        variable = f"REHAB_{name.upper()}"
        if value in DEVELOPMENT_SECRETS:
            problems.append(f"{name} is the committed development default: set {variable} (at least 32 characters)")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(
                f"{name} is {len(value)} characters, fewer than {MIN_SECRET_LENGTH}: set a longer {variable}"
            )
    return problems + signing_key_problems(settings)


def signing_key_problems(settings: Settings) -> list[str]:
    """The chain's signing key: set, readable, not the committed development key."""
    key = (settings.signing_key or "").strip()
    if not key or key == DEVELOPMENT_KEY:
        return [
            "signing_key is not set (the chain would be signed with the committed development key): "
            f"set REHAB_SIGNING_KEY to an Ed25519 key, generated with: {GENERATE_KEY}"
        ]
    try:
        load_private(key)
    except (SigningKeyError, ValueError) as err:
        return [f"signing_key (REHAB_SIGNING_KEY) cannot be read: {err}"]
    return []


def require_secure(settings: Settings) -> None:
    """Raise InsecureSettings in production mode while any secret is a default or too short."""
    if is_production(settings):
        problems = secret_problems(settings)
        if problems:
            raise InsecureSettings(problems)


__all__ = [
    "InsecureSettings",
    "is_demo_database",
    "is_production",
    "mode",
    "require_secure",
    "secret_problems",
    "signing_key_problems",
]
