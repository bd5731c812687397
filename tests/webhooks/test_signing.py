"""Signatures against the Standard Webhooks test vector, and the sealed secret."""

from __future__ import annotations

from ecotrack.webhooks.signing import new_secret, seal, sign, unseal
from tests.webhooks.receiver import SignatureError, verify

# From the Standard Webhooks reference libraries' tests.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


def test_the_spec_test_vector():
    signature = sign(
        VECTOR["secret"],
        message_id=VECTOR["id"],
        timestamp=VECTOR["timestamp"],
        body=VECTOR["body"],
    )
    assert signature == VECTOR["signature"]


def test_the_receiver_verifies_the_vector_and_refuses_tampering():
    headers = {
        "webhook-id": VECTOR["id"],
        "webhook-timestamp": str(VECTOR["timestamp"]),
        "webhook-signature": f"v1,bogus= {VECTOR['signature']}",  # one of several signatures
    }
    verify(VECTOR["secret"], headers, VECTOR["body"], now=VECTOR["timestamp"] + 10)
    for body, now in (
        (VECTOR["body"] + b" ", VECTOR["timestamp"]),
        (VECTOR["body"], 1614265331 + 301),
    ):
        try:
            verify(VECTOR["secret"], headers, body, now=now)
        except SignatureError:
            continue
        raise AssertionError("a tampered body or stale timestamp verified")


def test_sealed_secrets_open_only_for_their_endpoint_and_server_secret():
    secret = new_secret()
    blob = seal(secret, endpoint_id=7, server_secret="s" * 40)
    assert secret not in blob
    assert unseal(blob, endpoint_id=7, server_secret="s" * 40) == secret
    assert unseal(blob, endpoint_id=8, server_secret="s" * 40) is None
    assert unseal(blob, endpoint_id=7, server_secret="t" * 40) is None
