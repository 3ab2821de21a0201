# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Schemathesis against the inbound API's OpenAPI description (shipped in the addon:
logistics_sync_base/static/openapi/inbound_events_v1.json), every request signed.

``fuzz(base_url, code, secret, cases)`` generates ``cases`` requests from the
description, valid and invalid bodies alike (schemathesis' positive and negative
generation), posts them to a running Odoo and checks every answer: no 5xx (a 503
with Retry-After is the contract's answer to an unavailable database and is
reported apart), the status is one the description lists, the JSON body and the
headers match it.  ``Signer`` is the hook that signs each prepared request over its
exact body bytes (Standard Webhooks v1); one request in twenty keeps the generated,
wrong signature (the 401 path); one in twenty goes to a generated endpoint code.

Used by tests/test_live_fuzz.py (a few hundred cases in setup/test) and bench/fuzz
(10,000 and more).
"""

import base64
import hashlib
import hmac
import random
import time
from collections import Counter
from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SPEC = (
    Path(__file__).resolve().parent.parent
    / "logistics_sync_base"
    / "static"
    / "openapi"
    / "inbound_events_v1.json"
)
PATH = "/logistics_sync/v1/events/{code}"
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)


class Signer(requests.auth.AuthBase):
    """Signs a prepared request's exact body with the endpoint's whsec_ secret."""

    def __init__(self, secret):
        self.key = base64.b64decode(secret.removeprefix("whsec_"))

    def __call__(self, prepared):
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        msg_id = prepared.headers.get("webhook-id") or "fuzz"
        stamp = str(int(time.time()))
        digest = hmac.new(self.key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256)
        prepared.headers["webhook-id"] = msg_id
        prepared.headers["webhook-timestamp"] = stamp
        prepared.headers["webhook-signature"] = "v1," + base64.b64encode(digest.digest()).decode()
        return prepared


def fuzz(base_url, code, secret, cases, seed=0, progress=None):
    """Returns ``(statuses, failures)``: a Counter of answers and a list of
    ``(status, reason, request summary)`` for every answer outside the contract."""
    schema = schemathesis.from_path(
        str(SPEC),
        base_url=base_url,
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )
    operation = schema[PATH]["POST"]
    strategy = operation.as_strategy()
    statuses, failures = Counter(), []
    rnd = random.Random(seed)
    signer = Signer(secret)
    session = requests.Session()

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def one(case):
        roll = rnd.random()
        if roll >= 0.05:
            case.path_parameters = {**(case.path_parameters or {}), "code": code}
        try:
            response = case.call(
                session=session,
                auth=None if 0.05 <= roll < 0.10 else signer,
                timeout=60,
            )
        except requests.RequestException as exc:
            failures.append(("-", f"no answer: {exc}", _summary(case)))
            return
        statuses[response.status_code] += 1
        if response.status_code == 503 and response.headers.get("Retry-After"):
            return  # the contract's answer when the database is away (counted apart)
        try:
            case.validate_response(response, checks=CHECKS)
        except AssertionError as exc:  # schemathesis' CheckFailed is one
            failures.append((response.status_code, str(exc)[:400], _summary(case)))
        done = sum(statuses.values())
        if progress and done % 1000 == 0:
            progress(done, statuses, failures)

    one()
    return statuses, failures


def _summary(case):
    body = repr(case.body)
    return f"POST {case.formatted_path} body={body[:200]}"
