# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Signature schemes as configuration (lib/signature.py): plain values, no database."""

import base64
import hashlib
import hmac
import time

from odoo.tests import BaseCase, tagged

from ..lib.signature import SignatureConfig, SignatureError, check_config, compute, verify_config

BODY = b'{"id": "evt_1", "status": "delivered"}'
KEY, OLD = "provider-secret", "previous-secret"


@tagged("at_install", "-post_install")
class TestSignatureSchemes(BaseCase):
    def assertRefused(self, config, headers, body=BODY, secrets=(KEY,), message=""):
        with self.assertRaisesRegex(SignatureError, message):
            verify_config(config, secrets, headers, body)

    def test_hmac_of_the_body_every_algorithm_encoding_and_prefix(self):
        for algorithm in ("sha256", "sha1", "sha512"):
            for encoding in ("hex", "base64"):
                for prefix in ("", "sha256=", "hmac-sha256-hex="):
                    config = SignatureConfig(
                        scheme="hmac",
                        header="X-Sig",
                        algorithm=algorithm,
                        encoding=encoding,
                        prefix=prefix,
                    )
                    digest = hmac.new(KEY.encode(), BODY, algorithm).digest()
                    text = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
                    headers = {"x-sig": prefix + text}  # header names in any case
                    self.assertEqual(compute(config, KEY, BODY), prefix + text)
                    self.assertTrue(verify_config(config, (KEY,), headers, BODY))
                    # rotation: a sender still on the previous secret
                    self.assertTrue(verify_config(config, ("new", KEY), headers, BODY))
                    self.assertRefused(config, headers, body=BODY + b" ", message="no valid")
                    self.assertRefused(config, headers, secrets=("other",), message="no valid")
                    if prefix:
                        self.assertRefused(config, {"X-Sig": text}, message="does not start")
        easypost = SignatureConfig(
            scheme="hmac", header="X-Hmac-Signature", prefix="hmac-sha256-hex="
        )
        signed = "hmac-sha256-hex=" + hmac.new(KEY.encode(), BODY, "sha256").hexdigest()
        self.assertTrue(verify_config(easypost, (KEY,), {"X-Hmac-Signature": signed}, BODY))
        self.assertTrue(verify_config(easypost, (KEY,), {"X-Hmac-Signature": signed.upper()}, BODY))

    def test_missing_or_malformed_header_and_no_secret(self):
        config = SignatureConfig(scheme="hmac", header="X-Sig")
        self.assertRefused(config, {}, message="missing X-Sig header")
        self.assertRefused(config, {"X-Sig": "zz-not-hex"}, message="is not hex")
        good = {"X-Sig": compute(config, KEY, BODY)}
        self.assertRefused(config, good, secrets=(False, ""), message="no signing secret")

    def test_timestamp_header_in_the_signed_string_with_window(self):
        config = SignatureConfig(
            scheme="hmac",
            header="X-Sig",
            timestamp="header",
            timestamp_header="X-Timestamp",
            template="{timestamp}.{body}",
            tolerance=120,
        )
        now = str(int(time.time()))
        expected = hmac.new(KEY.encode(), now.encode() + b"." + BODY, "sha256").hexdigest()
        self.assertEqual(compute(config, KEY, BODY, stamp=now), expected)
        headers = {"X-Sig": expected, "X-Timestamp": now}
        self.assertTrue(verify_config(config, (OLD, KEY), headers, BODY))
        # the body alone, without the timestamp, is not what is signed
        body_only = hmac.new(KEY.encode(), BODY, "sha256").hexdigest()
        self.assertRefused(config, {"X-Sig": body_only, "X-Timestamp": now}, message="no valid")
        self.assertRefused(config, {"X-Sig": expected}, message="missing X-Timestamp")
        stale = str(int(time.time()) - 121)
        stale_sig = compute(config, KEY, BODY, stamp=stale)
        self.assertRefused(
            config,
            {"X-Sig": stale_sig, "X-Timestamp": stale},
            message="outside the accepted window",
        )
        self.assertRefused(
            config, {"X-Sig": expected, "X-Timestamp": "soon"}, message="Unix seconds"
        )

    def test_timestamp_inside_the_signature_header_shippo_stripe_style(self):
        config = SignatureConfig(
            scheme="hmac", header="Shippo-Auth-Signature", timestamp="in_signature"
        )
        now = str(int(time.time()))
        value = compute(config, KEY, BODY, stamp=now)
        self.assertTrue(value.startswith(f"t={now},v1="))
        self.assertTrue(verify_config(config, (KEY,), {"Shippo-Auth-Signature": value}, BODY))
        # several v1 values (the sender's own rotation): one match is enough
        both = f"t={now},v1={'0' * 64},v1={value.split('v1=')[1]}"
        self.assertTrue(verify_config(config, (KEY,), {"Shippo-Auth-Signature": both}, BODY))
        self.assertRefused(config, {"Shippo-Auth-Signature": "v1=abcd"}, message="no t=<unix>")
        stale = str(int(time.time()) - 400)
        old = compute(config, KEY, BODY, stamp=stale)
        self.assertRefused(config, {"Shippo-Auth-Signature": old}, message="window")

    def test_digest_of_body_separator_secret_17track_style(self):
        config = SignatureConfig(scheme="digest_secret", header="sign", separator="/")
        value = hashlib.sha256(BODY + b"/" + KEY.encode()).hexdigest()
        self.assertEqual(compute(config, KEY, BODY), value)
        self.assertTrue(verify_config(config, (KEY,), {"sign": value}, BODY))
        self.assertTrue(verify_config(config, (OLD, KEY), {"Sign": value}, BODY))
        self.assertRefused(config, {"sign": value}, secrets=(OLD,), message="no valid signature")
        self.assertRefused(config, {"sign": value}, body=BODY + b"\n", message="no valid signature")

    def test_shared_secret_in_a_header(self):
        config = SignatureConfig(scheme="token", header="X-Logistics-Sync-Token")
        self.assertTrue(verify_config(config, (KEY,), {"x-logistics-sync-token": KEY}, BODY))
        self.assertTrue(verify_config(config, (OLD, KEY), {"X-Logistics-Sync-Token": OLD}, BODY))
        self.assertRefused(config, {"X-Logistics-Sync-Token": KEY + "x"}, message="does not hold")
        self.assertRefused(config, {}, message="missing")

    def test_configurations_that_cannot_verify_are_refused_on_save(self):
        for config, message in (
            (SignatureConfig(scheme="hmac"), "header is required"),
            (SignatureConfig(scheme="rsa", header="X"), "unknown signature scheme"),
            (SignatureConfig(scheme="hmac", header="X", algorithm="md5"), "unknown algorithm"),
            (
                SignatureConfig(scheme="hmac", header="X", timestamp="header"),
                "timestamp header is required",
            ),
            (
                SignatureConfig(
                    scheme="hmac",
                    header="X",
                    timestamp="header",
                    timestamp_header="T",
                    template="{body}",
                ),
                "needs {timestamp} and {body}",
            ),
        ):
            with self.assertRaisesRegex(ValueError, message):
                check_config(config)
        check_config(SignatureConfig())
