"""Citizen ID numbers at rest: encrypted (AES-256-GCM, key from the environment) and matched by a keyed hash.

A stolen database copy shows neither the numbers nor a way back to them: `id_number` holds
`enc1:<nonce+ciphertext, base64>` under REHAB_ID_NUMBER_KEY, and `id_number_hash` is HMAC-SHA256 under
REHAB_ID_NUMBER_SALT (both outside the database; a plain salted SHA-256 of a 12-digit number with its
known structure was reversible in a second). Rows written before this scheme (a clear number, a salted
SHA-256) are still read and matched: `rehab` keeps working on an upgraded database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1:"


class IdProtector:
    def __init__(self, hash_key: str, encryption_key: str) -> None:
        self._hash_key = hash_key.encode("utf-8")
        self._legacy_salt = hash_key
        self._aead = AESGCM(hashlib.sha256(b"rehab-id-number:" + encryption_key.encode("utf-8")).digest())

    def digest(self, id_number: str) -> str:
        """The keyed hash that matches one person across dossiers."""
        return hmac.new(self._hash_key, id_number.strip().encode("utf-8"), hashlib.sha256).hexdigest()

    def keyed(self, purpose: str, text: str) -> str:
        """HMAC-SHA256 of `text` under the same secret, separated by `purpose` (e.g. a free text's salt)."""
        return hmac.new(self._hash_key, f"{purpose}\x00{text}".encode(), hashlib.sha256).hexdigest()

    def digests(self, id_number: str) -> tuple[str, str]:
        """The keyed hash and the pre-upgrade salted hash, to match rows written before the upgrade too."""
        legacy = hashlib.sha256(f"{self._legacy_salt}:{id_number.strip()}".encode()).hexdigest()
        return self.digest(id_number), legacy

    def seal(self, id_number: str | None) -> str | None:
        if id_number is None:
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, id_number.encode("utf-8"), b"id_number")
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def reveal(self, stored: str | None) -> str | None:
        """The number in clear (for the roles that may see it); a pre-upgrade clear value as it is."""
        if stored is None or not stored.startswith(PREFIX):
            return stored
        raw = base64.b64decode(stored[len(PREFIX) :])
        return self._aead.decrypt(raw[:12], raw[12:], b"id_number").decode("utf-8")


__all__ = ["PREFIX", "IdProtector"]
