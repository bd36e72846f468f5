"""SSH keys: the fingerprint of a public key, naming keys (``KeyDirectory``), and the operations on keys.

The fingerprint is the MD5 of the key's base64-decoded blob, as colon-separated hex pairs
(the ``ssh-keygen -E md5 -l`` form without its ``MD5:`` prefix, as the API gives it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from .. import errors
from ..clock import Clock
from ..labels import Selector
from .models import SshKey
from .store import Store, operation

KEY_TYPES = (
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def fingerprint(public_key: str) -> str | None:
    """The MD5 fingerprint of an OpenSSH public key (``TYPE BASE64 [COMMENT]``), or None when it is malformed."""
    parts = public_key.strip().split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    # the blob starts with the key type as an SSH string: a 4-byte big-endian length, then the name
    length = int.from_bytes(blob[:4], "big")
    if len(blob) < 4 + length or blob[4 : 4 + length] != parts[0].encode() or len(blob) == 4 + length:
        return None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[index : index + 2] for index in range(0, len(digest), 2))


class KeyDirectory:
    """Names SSH keys by id or name (``KeyResolver``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def resolve_ssh_keys(self, references: list[str | int]) -> list[int]:
        """The ids of the keys named by id or name; an unknown one answers ``invalid_input`` (field ``ssh_keys``)."""
        found = []
        for reference in references:
            text = str(reference)
            key = self.store.ssh_keys.get(int(text)) if text.isdigit() else None
            key = key or next((item for item in self.store.ssh_keys.values() if item.name == text), None)
            if key is None:
                raise errors.invalid_field("ssh_keys", f"SSH key '{text}' not found")
            found.append(key.id)
        return found


class SshKeysFamily:
    """The operations on SSH keys (part of ``Backend``)."""

    store: Store
    clock: Clock

    def _ssh_key(self, key_id: int) -> SshKey:
        key = self.store.ssh_keys.get(key_id)
        if key is None:
            raise errors.not_found("ssh_key", key_id)
        return key

    def _check_key_name_free(self, name: str, own_id: int | None = None) -> None:
        if any(key.name == name and key.id != own_id for key in self.store.ssh_keys.values()):
            raise errors.uniqueness_error("name", f"SSH key name '{name}' is already used in this project")

    @operation
    def list_ssh_keys(self, name: str | None = None, key_fingerprint: str | None = None, selector: Selector | None = None) -> list[SshKey]:
        """Keys matching every given filter, in id order."""
        return [
            key
            for key in self.store.ssh_keys.values()
            if (name is None or key.name == name)
            and (key_fingerprint is None or key.fingerprint == key_fingerprint)
            and (selector is None or selector.matches(key.labels))
        ]

    @operation
    def get_ssh_key(self, key_id: int) -> SshKey:
        """One key."""
        return self._ssh_key(key_id)

    @operation
    def create_ssh_key(self, name: str, public_key: str, labels: dict[str, str] | None = None) -> SshKey:
        """Add a key; its name and its key (by fingerprint) must be unique in the project."""
        key_fingerprint = fingerprint(public_key)
        if key_fingerprint is None:
            raise errors.invalid_field("public_key", "invalid public key (expected an OpenSSH public key: TYPE BASE64 [COMMENT])")
        self._check_key_name_free(name)
        if any(key.fingerprint == key_fingerprint for key in self.store.ssh_keys.values()):
            raise errors.uniqueness_error("public_key", "SSH key with the same fingerprint already exists")
        key = SshKey(self.store.next_id("ssh_key"), name, public_key.strip(), key_fingerprint, self.clock.now(), dict(labels or {}))
        self.store.ssh_keys[key.id] = key
        return key

    @operation
    def update_ssh_key(self, key_id: int, name: str | None = None, labels: dict[str, str] | None = None) -> SshKey:
        """Rename a key and replace its labels."""
        key = self._ssh_key(key_id)
        if name is not None:
            self._check_key_name_free(name, key.id)
            key.name = name
        if labels is not None:
            key.labels = dict(labels)
        return key

    @operation
    def delete_ssh_key(self, key_id: int) -> None:
        """Delete a key (servers created with it keep running)."""
        self._ssh_key(key_id)
        del self.store.ssh_keys[key_id]
