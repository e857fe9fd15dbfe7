"""Password hashes for app users: PBKDF2-HMAC-SHA256 with a random salt, stored as one string.

Stored form: ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``. The iteration count travels
with the hash, so it can be raised later without invalidating what is stored (`needs_rehash`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
SALT_BYTES = 16


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    """A new hash of `password` with a fresh random salt."""
    if iterations < 1:
        raise ValueError(f"iterations must be positive, got {iterations}")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def _parse(stored: str) -> tuple[int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        return None
    try:
        iterations, salt, digest = int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return None
    if iterations < 1 or not salt or not digest:
        return None
    return iterations, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored hash; False (never an error) for a malformed hash."""
    parsed = _parse(stored or "")
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str, *, iterations: int = ITERATIONS) -> bool:
    """True when the stored hash is malformed or weaker than today's iteration count."""
    parsed = _parse(stored or "")
    return parsed is None or parsed[0] < iterations


__all__ = ["ALGORITHM", "ITERATIONS", "hash_password", "needs_rehash", "verify_password"]
