"""Feedback sealed by its answer: the public quiz's key, not readable in plain sight.

Each entry of a question is a JSON payload XOR-ed with a SHA-256 keystream whose key is derived
from a salt, the question and the canonical text of one answer ("B", "set:A,C", a quantized
number, a shape). A learner's answer derives a key, finds the entry whose tag matches and opens
it; no other entry can be read. Trying every option opens every option's feedback: that is what
instant feedback means, and the README says so. Payloads are padded to a common length, so their
sizes do not tell the right entry from the others.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from typing import Any

PAD = 192


def derive(salt: bytes, qid: str, canonical: str) -> bytes:
    """The key of one answer of one question."""
    return hashlib.sha256(b"dlcourse-quiz\0" + salt + qid.encode() + b"\0" + canonical.encode()).digest()


def tag(key: bytes) -> str:
    """The public label of a key's entry (reveals nothing of the key)."""
    return hashlib.sha256(b"tag\0" + key).hexdigest()[:20]


def _stream(key: bytes, n: int) -> bytes:
    blocks = (n + 31) // 32
    return b"".join(hashlib.sha256(key + i.to_bytes(4, "big")).digest() for i in range(blocks))[:n]


def seal(key: bytes, payload: dict[str, Any], pad: int = PAD) -> str:
    """``payload`` encrypted under ``key`` (padded with spaces to a multiple of ``pad`` bytes)."""
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    data += b" " * (-len(data) % pad)
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, _stream(key, len(data))))).decode()


def unseal(key: bytes, sealed: str) -> dict[str, Any]:
    """The payload of an entry sealed under ``key``."""
    data = base64.b64decode(sealed)
    return json.loads(bytes(a ^ b for a, b in zip(data, _stream(key, len(data)))).decode())


def pack(obj: Any) -> str:
    """The quiz's key as one ASCII string for a notebook cell (compressed JSON, base64)."""
    return base64.b64encode(zlib.compress(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode(), 9)).decode()


def unpack(text: str) -> Any:
    """The object ``pack`` made."""
    return json.loads(zlib.decompress(base64.b64decode(text)).decode())
