"""Bearer tokens with roles (viewer ⊂ dispatcher ⊂ admin), stored hashed.

A token is ``sky_`` + 32 random bytes (URL-safe base64) from :mod:`secrets`. The store keeps only
its SHA-256. Why not bcrypt/argon2: those slow hashes protect *low-entropy passwords* against
guessing after a database leak; a 256-bit random token cannot be guessed whatever the hash, and a
fast hash lets every request be checked by one indexed lookup (no per-request 100 ms work factor,
no scan over salted hashes). The digest is compared in the store by equality on the hash of the
presented token, so no timing leaks the stored value.

``SKYLOOP_BOOTSTRAP_TOKEN`` creates the first admin token at start (named ``bootstrap``); it must
be at least :data:`MIN_BOOTSTRAP_CHARS` characters, or start-up refuses it. Changing it rotates it:
the previous bootstrap token is revoked when the new one is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from mission.model import ApiToken, Role
from mission.ports import MissionStore

TOKEN_PREFIX = "sky_"
MIN_BOOTSTRAP_CHARS = 24
BOOTSTRAP_ENV = "SKYLOOP_BOOTSTRAP_TOKEN"
BOOTSTRAP_NAME = "bootstrap"


class AuthError(Exception):
    """Missing, malformed, unknown or revoked token (HTTP 401)."""


class Forbidden(Exception):
    """A valid token whose role is too low (HTTP 403); the message says what was needed."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (the audit log's actor), role and id."""

    name: str
    role: Role
    token_id: str

    def require(self, needed: Role, action: str = "this") -> None:
        if not self.role.allows(needed):
            raise Forbidden(f"role {self.role.value} may not {action}: it needs {needed.value} or higher")


def new_token() -> str:
    """A fresh high-entropy bearer token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_from_header(value: str | None) -> str:
    """The token in an ``Authorization: Bearer <token>`` header; AuthError otherwise."""
    if not value:
        raise AuthError("missing bearer token (Authorization: Bearer <token>)")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("malformed Authorization header: expected 'Bearer <token>'")
    return token.strip()


async def authenticate(store: MissionStore, token: str) -> Principal:
    """The principal of a token; AuthError for an unknown or revoked one."""
    found = await store.find_token(hash_token(token))
    if found is None:
        raise AuthError("unknown token")
    if found.revoked_at is not None:
        raise AuthError("token revoked")
    return Principal(found.name, found.role, found.id)


async def issue_token(store: MissionStore, name: str, role: Role) -> tuple[ApiToken, str]:
    """Store a new token's hash; returns the record and the token itself (to show once)."""
    token = new_token()
    record = ApiToken(name=name, role=role, token_hash=hash_token(token))
    await store.add_token(record)
    return record, token


async def ensure_bootstrap_token(store: MissionStore, token: str | None) -> bool:
    """Create the admin token ``token`` unless it is already stored, revoking any other live
    bootstrap token (rotation); True when created.

    Raises ValueError for a token that is too short to be safe."""
    if not token:
        return False
    if len(token) < MIN_BOOTSTRAP_CHARS:
        raise ValueError(
            f"{BOOTSTRAP_ENV} must be at least {MIN_BOOTSTRAP_CHARS} characters (got {len(token)}); "
            "use e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    digest = hash_token(token)
    if await store.find_token(digest) is not None:
        return False
    fresh = ApiToken(name=BOOTSTRAP_NAME, role=Role.ADMIN, token_hash=digest)
    await store.add_token(fresh)
    for old in await store.list_tokens():
        if old.name == BOOTSTRAP_NAME and old.id != fresh.id and old.revoked_at is None:
            await store.revoke_token(old.id, fresh.created_at)
    return True
