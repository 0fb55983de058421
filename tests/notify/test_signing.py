"""Secrets and signatures in the Standard Webhooks format."""

import base64

from notify.signing import secret_problem, webhook_secret_generate, webhook_sign
from tests.notify.helpers import signature_valid


def test_signature_reproduces_the_standard_webhooks_reference_vector():
    signature = webhook_sign(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_an_independent_computation():
    secret = webhook_secret_generate()
    body = '{"type":"alert.opened","note":"Дебальцеве"}'.encode()
    headers = {
        "webhook-id": "3f1c",
        "webhook-timestamp": "1700000000",
        "webhook-signature": webhook_sign(
            secret=secret, msg_id="3f1c", timestamp=1700000000, body=body
        ),
    }
    assert signature_valid(secret, headers, body)
    assert not signature_valid(secret, headers, body + b" ")
    assert not signature_valid(webhook_secret_generate(), headers, body)


def test_generated_secrets_are_standard_webhooks_secrets():
    secret = webhook_secret_generate()
    assert secret.startswith("whsec_") and secret_problem(secret) is None
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != webhook_secret_generate()
    assert secret_problem("not-a-secret")
    assert secret_problem("whsec_***")
    assert secret_problem("whsec_" + base64.b64encode(b"short").decode())
