"""The signature of a webhook delivery, and how a receiver checks it.

Each delivery is a `POST` of a JSON body `{"id", "type", "created_at", "data"}` with the headers:

- `X-Webhook-Id`: the event's id (a UUID, the same on every attempt: de-duplicate on it);
- `X-Webhook-Timestamp`: when this attempt was signed, in Unix seconds;
- `X-Webhook-Signature`: `sha256=` followed by the hexadecimal HMAC-SHA256, keyed with the subscription's
  secret, of the timestamp, a dot and the raw body: `f"{timestamp}.{body}"`.

To verify, on the raw body as received (before parsing the JSON):

    import hashlib, hmac, time

    def verify(secret: str, timestamp: str, signature: str, body: bytes, tolerance: int = 300) -> bool:
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
            return False  # too old (or from the future): a replayed request
        signed = timestamp.encode() + b"." + body
        expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)  # constant time

Answer with a 2xx status quickly; anything else (3xx included: redirects are not followed), a timeout or a
refused connection is a failed attempt, retried later.
"""

import hashlib
import hmac
import secrets

SIGNATURE_PREFIX = "sha256="
SECRET_PREFIX = "whsec_"  # noqa: S105 (the fixed start of every secret, not a secret)


def secret_generate() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`."""
    signed = str(timestamp).encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "X-Webhook-Id": event_id,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": signature(secret, timestamp, body),
    }
