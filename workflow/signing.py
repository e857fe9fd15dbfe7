"""The server's Ed25519 signatures on the chain: entries, anchors and checkpoints.

The private key comes from the environment (`REHAB_SIGNING_KEY`: 32 random bytes in base64, or an
Ed25519 PEM), never from the database, so someone who can write to the database but does not hold
the key cannot add an entry that verifies. Every signature names its key by a key id (the first 16
hex digits of the SHA-256 of the raw public key); several public keys may be trusted at once
(`REHAB_TRUSTED_KEYS`), so a key can be rotated without re-signing history.

What is signed (a domain tag, then the bytes; an offline verifier rebuilds the same message):
  entry       b"rehab.entry.v1:" + the entry's hash (64 hex digits, ASCII)
  anchor      b"rehab.anchor.v1:" + canonical JSON of {"root", "taken_at"}
  checkpoint  b"rehab.checkpoint.v1:" + canonical JSON of {"entries", "root", "taken_at", "upto_log_id"}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow.chain import canonical

# The development key: committed, so known to everyone. Development and the demo only; production
# mode refuses to start with it (workflow.production) and never trusts a signature made with it.
DEVELOPMENT_KEY = "cmVoYWItZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="  # b"rehab-development-key-not-secret"
GENERATE_KEY = "python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"
ENTRY_TAG = b"rehab.entry.v1:"


class SigningKeyError(ValueError):
    """A key that cannot be read: says which and why."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as the procuracy receives it: the 32 raw bytes in base64."""
    return base64.b64encode(_raw_public(key)).decode("ascii")


def load_private(text: str) -> Ed25519PrivateKey:
    """A private key from base64 (32 bytes) or PEM (PKCS#8)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the signing key's PEM is not an Ed25519 private key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw_key(text, "the signing key"))


def load_public(text: str) -> Ed25519PublicKey:
    """A public key from base64 (32 bytes, as `rehab audit public-key` prints it) or PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError("the PEM is not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw_key(text, "the public key"))


def _raw_key(text: str, what: str) -> bytes:
    """The 32 bytes of an Ed25519 key written in base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise SigningKeyError(f"{what} is neither PEM nor base64: {err}") from None
    if len(raw) != 32:
        raise SigningKeyError(f"{what} is {len(raw)} bytes in base64; an Ed25519 key is 32")
    return raw


def record_message(kind: str, data: Mapping[str, Any]) -> bytes:
    return f"rehab.{kind}.v1:".encode() + canonical(data)


@dataclass(frozen=True)
class Signer:
    """The server's private key: signs what it appends (about 50 µs a signature)."""

    key: Ed25519PrivateKey
    development: bool = False
    key_id: str = field(init=False)
    public: Ed25519PublicKey = field(init=False)

    def __post_init__(self) -> None:
        public = self.key.public_key()
        object.__setattr__(self, "public", public)
        object.__setattr__(self, "key_id", key_id_of(public))

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)

    def sign_entry(self, digest: str) -> bytes:
        return self.key.sign(ENTRY_TAG + digest.encode("ascii"))

    def sign_record(self, kind: str, data: Mapping[str, Any]) -> dict[str, str]:
        """The fields a signed anchor or checkpoint carries beside `data`."""
        signature = self.key.sign(record_message(kind, data))
        return {
            "key_id": self.key_id,
            "public_key": public_text(self.public),
            "signature": base64.b64encode(signature).decode("ascii"),
        }


@dataclass(frozen=True)
class KeyRing:
    """The public keys whose signatures are trusted, by key id."""

    keys: Mapping[str, Ed25519PublicKey]

    @classmethod
    def of(cls, keys: Iterable[Ed25519PublicKey]) -> KeyRing:
        return cls({key_id_of(k): k for k in keys})

    def verify(self, key_id: str | None, signature: bytes | None, message: bytes) -> bool:
        key = self.keys.get(key_id or "")
        if key is None or not signature:
            return False
        try:
            key.verify(bytes(signature), message)
        except InvalidSignature:
            return False
        return True

    def verify_entry(self, key_id: str | None, signature: bytes | None, digest: str) -> bool:
        return self.verify(key_id, signature, ENTRY_TAG + digest.encode("ascii"))

    def verify_record(self, kind: str, data: Mapping[str, Any], signed: Mapping[str, Any]) -> bool:
        try:
            signature = base64.b64decode(str(signed.get("signature", "")), validate=True)
        except (binascii.Error, ValueError):
            return False
        return self.verify(str(signed.get("key_id", "")), signature, record_message(kind, data))


def generate_private_text() -> str:
    """A new private key, as REHAB_SIGNING_KEY takes it (32 random bytes in base64)."""
    import os

    return base64.b64encode(os.urandom(32)).decode("ascii")


def development_signer() -> Signer:
    return Signer(load_private(DEVELOPMENT_KEY), development=True)


def signer_from(signing_key: str | None) -> Signer:
    """The configured key, or the labelled development key when none is set (production mode refuses
    to start without one: workflow.production)."""
    if not signing_key or signing_key.strip() == DEVELOPMENT_KEY:
        return development_signer()
    return Signer(load_private(signing_key))


def keyring_from(signer: Signer, trusted: Iterable[str] = (), *, production: bool = False) -> KeyRing:
    """The signer's own public key and the other trusted ones (rotation); the development key never
    in production, whatever the list says."""
    development = development_signer().key_id
    keys = [signer.public, *(load_public(text) for text in trusted if text.strip())]
    if production:
        keys = [k for k in keys if key_id_of(k) != development]
    return KeyRing.of(keys)
