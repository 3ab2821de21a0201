# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier adapters (logistics_sync_carrier/adapters/) against real servers.

The carrier simulator runs as a process on 127.0.0.1 (stopped by its PID at the
end); a tiny local HTTP server plays the misbehaving parts the simulator does
not offer (redirects, an OAuth2 token endpoint, answers that are not JSON or
not a PDF).  Loopback is allowed the way developers allow it
(``allow_http_loopback``); everything else goes through the real SSRF check.
"""

import base64
import importlib.util
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from standalone import addon_module

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"
WSDL = ROOT / "logistics_sync_carrier" / "wsdl" / "sim_carrier.wsdl"


def _load(name, path):
    # The entry script of the simulator, loaded by its path (it is no module of a package).
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


urlsafety = addon_module("logistics_sync_base.lib.urlsafety")
cc = addon_module("logistics_sync_carrier.adapters")
simulator_entry = _load("lsync_carrier_simulator", SIMULATOR)
CarrierAuth = cc.CarrierAuth
PermanentCarrierError = cc.PermanentCarrierError
TransientCarrierError = cc.TransientCarrierError

API_KEY = "client-test-api-key"
USERNAME = "client-test-user"
PASSWORD = "client-test-password"
SECRET = "client-test-webhook-secret"
RECIPIENT = {
    "name": "Ada Client",
    "street": "1 rue de la Paix",
    "city": "Nice",
    "zip": "06000",
    "country": "FR",
}


def shipment(reference="SO100", weight_kg=2.0, service="standard"):
    return {
        "reference": reference,
        "service": service,
        "weight_kg": weight_kg,
        "recipient": dict(RECIPIENT),
    }


def hostname_text():
    try:
        with open("/etc/hostname") as handle:
            return handle.read().strip()
    except OSError:
        return ""


# --------------------------------------------------------------------------- servers


class Simulator:
    def __init__(self, tmp_path):
        self.log_path = tmp_path / "sim.log"
        self.process, self.url = simulator_entry.spawn(
            [
                "--api-key", API_KEY,
                "--username", USERNAME,
                "--password", PASSWORD,
                "--webhook-secret", SECRET,
                "--webhook-interval", "3600",
                "--seed", "7",
                "--timeout-sleep", "2",
                "--max-lifetime", "300",
            ],
            log_path=self.log_path,
        )  # fmt: skip
        self.port = int(self.url.rsplit(":", 1)[1])
        self.http = requests.Session()
        self.http.trust_env = False

    def config(self, **knobs):
        response = self.http.post(f"{self.url}/_sim/config", json=knobs, timeout=10)
        assert response.status_code == 200, response.text

    def reset(self):
        assert self.http.post(f"{self.url}/_sim/reset", timeout=10).status_code == 200

    def stats(self):
        return self.http.get(f"{self.url}/_sim/stats", timeout=10).json()

    def advance(self, shipment_id):
        response = self.http.post(f"{self.url}/_sim/advance/{shipment_id}", timeout=10)
        assert response.status_code == 200, response.text

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, 9)
                self.process.wait(timeout=5)


EVIL_XXE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><sim:GetRateResponse xmlns:sim="urn:logistics-sync:sim-carrier:1">'
    "<sim:Amount>&xxe;</sim:Amount><sim:Currency>EUR</sim:Currency>"
    "<sim:TransitDays>2</sim:TransitDays></sim:GetRateResponse></soap:Body></soap:Envelope>"
)


def _laughs():
    """Nine levels of entities, each ten of the previous one: 10**9 "lol"s."""
    entities, previous = ['<!ENTITY lol "lol">'], "lol"
    for level in range(1, 10):
        entities.append(f'<!ENTITY lol{level} "{f"&{previous};" * 10}">')
        previous = f"lol{level}"
    return "".join(entities)


EVIL_LAUGHS = EVIL_XXE.replace('<!ENTITY xxe SYSTEM "file:///etc/hostname">', _laughs()).replace(
    "&xxe;", "&lol9;"
)


class TinyHandler(BaseHTTPRequestHandler):
    """Answers chosen by the first path segment; every request is recorded."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        """Quiet."""

    def do_GET(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        server.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers)}
        )
        kind = self.path.split("/")[1]
        port = server.server_address[1]
        if kind == "private":
            return self._answer(302, b"", Location="http://10.0.0.1/")
        if kind == "loop":
            return self._answer(302, b"", Location=self.path)
        if kind == "hop":
            return self._answer(307, b"", Location=self.path.replace("/hop/", "/ok/", 1))
        if kind == "cross":
            location = f"http://localhost:{port}" + self.path.replace("/cross/", "/ok/", 1)
            return self._answer(307, b"", Location=location)
        if kind == "ok":
            doc = {"amount": 9.99, "currency": "EUR", "service": "standard", "transit_days": 1}
            return self._answer(200, json.dumps(doc).encode(), content_type="application/json")
        if kind == "badjson":
            return self._answer(200, b"<html>not json</html>", content_type="text/html")
        if kind == "notpdf":
            return self._answer(200, b"<html>no label</html>", content_type="application/pdf")
        if kind == "slowdown":
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
            return self._answer(
                429, b"{}", content_type="application/json", **{"Retry-After": when}
            )
        if kind == "token":
            expected = base64.b64encode(b"client-id:client-secret-value").decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._answer(
                    401, b'{"error": "invalid_client"}', content_type="application/json"
                )
            assert b"grant_type=client_credentials" in body
            doc = {"access_token": API_KEY, "token_type": "Bearer", "expires_in": 3600}
            return self._answer(200, json.dumps(doc).encode(), content_type="application/json")
        if kind in ("bomxxe", "bomlaughs"):
            evil = EVIL_XXE if kind == "bomxxe" else EVIL_LAUGHS
            payload = b"\xef\xbb\xbf" + evil.encode()
            return self._answer(200, payload, content_type="text/xml; charset=utf-8")
        return self._answer(404, b"{}", content_type="application/json")

    do_POST = do_GET

    def _answer(self, status, body, content_type="text/plain", **headers):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    simulator = Simulator(tmp_path_factory.mktemp("carrier-sim"))
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _fresh_simulator(request):
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").reset()


@pytest.fixture(scope="module")
def tiny():
    server = ThreadingHTTPServer(("127.0.0.1", 0), TinyHandler)
    server.daemon_threads = True
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def seen(tiny):
    tiny.seen.clear()
    return tiny.seen


def rest_client(url, auth=None, **kwargs):
    auth = auth or CarrierAuth("api_key", api_key_header="X-API-Key", api_key=API_KEY)
    kwargs.setdefault("allow_http_loopback", True)
    kwargs.setdefault("timeout", 5.0)
    return cc.RestCarrierClient(url, auth, **kwargs)


def soap_client(url, username=USERNAME, password=PASSWORD, **kwargs):
    kwargs.setdefault("allow_http_loopback", True)
    kwargs.setdefault("timeout", 5.0)
    auth = CarrierAuth("basic", username=username, password=password)
    return cc.SoapCarrierClient(url, auth, WSDL, **kwargs)


@pytest.fixture
def rest(sim):
    return rest_client(sim.url)


@pytest.fixture
def soap(sim):
    return soap_client(sim.url)


# --------------------------------------------------------------------------- REST


def test_rest_rate(rest, sim):
    answer = rest.rate(shipment(weight_kg=2.0))
    assert answer == {"amount": 7.5, "currency": "EUR", "service": "standard", "transit_days": 2}
    assert rest.rate(shipment(weight_kg=2.0, service="express"))["amount"] == 13.5
    assert sim.stats()["bookings"] == 0


def test_rest_book_and_idempotent_replay(rest, sim):
    first = rest.book(shipment("SO200"), "key-200")
    assert first["shipment_id"].startswith("SIM-")
    assert first["tracking_number"] in first["tracking_url"]
    assert first["price"] == 7.5
    assert first["replayed"] is False
    again = rest.book(shipment("SO200"), "key-200")
    assert again["shipment_id"] == first["shipment_id"]
    assert again["tracking_number"] == first["tracking_number"]
    assert again["replayed"] is True
    assert sim.stats()["bookings_by_reference"] == {"SO200": 1}
    with pytest.raises(PermanentCarrierError) as info:
        rest.book(shipment("SO200", weight_kg=5.0), "key-200")
    assert info.value.status_code == 422
    assert "different request" in info.value.message
    assert sim.stats()["bookings"] == 1
    with pytest.raises(ValueError, match="idempotency key"):
        rest.book(shipment("SO201"), "")


def test_rest_labels_are_pdf(rest):
    booking = rest.book(shipment("SO300"), "key-300")
    label = rest.label(booking["shipment_id"])
    assert label.startswith(b"%PDF-")
    assert booking["tracking_number"].encode() in label
    assert rest.return_label(booking["shipment_id"]).startswith(b"%PDF-")
    with pytest.raises(PermanentCarrierError) as info:
        rest.label("SIM-404404")
    assert info.value.status_code == 404


def test_rest_cancel(rest, sim):
    booking = rest.book(shipment("SO400"), "key-400")
    assert rest.cancel(booking["shipment_id"]) == {
        "shipment_id": booking["shipment_id"],
        "status": "cancelled",
    }
    delivered = rest.book(shipment("SO401"), "key-401")
    for _step in range(4):
        sim.advance(delivered["shipment_id"])
    with pytest.raises(PermanentCarrierError) as info:
        rest.cancel(delivered["shipment_id"])
    assert info.value.status_code == 409
    assert "already delivered" in info.value.message


def test_rest_track_batches_of_fifty(rest, sim):
    moving = rest.book(shipment("SO500"), "key-500")
    waiting = rest.book(shipment("SO501"), "key-501")
    sim.advance(moving["shipment_id"])
    sim.advance(moving["shipment_id"])
    before = sim.stats()["requests"]
    results = rest.track([moving["tracking_number"], waiting["tracking_number"], "SIM1Z999999"])
    assert sim.stats()["requests"] == before + 1
    assert [e["status"]["code"] for e in results[moving["tracking_number"]]] == ["PU", "IT"]
    assert results[moving["tracking_number"]][0]["shipment"]["reference"] == "SO500"
    assert results[waiting["tracking_number"]] == []
    assert results["SIM1Z999999"] == []

    numbers = [moving["tracking_number"]] + [f"SIM1Z9{index:05d}" for index in range(119)]
    before = sim.stats()["requests"]
    results = rest.track(numbers + numbers[:10])  # duplicates are asked once
    assert sim.stats()["requests"] == before + 3  # 120 numbers: 50 + 50 + 20
    assert set(results) == set(numbers)
    assert len(results[moving["tracking_number"]]) == 2
    assert rest.track([]) == {}


def test_rest_authentication_schemes(sim):
    bearer = CarrierAuth("bearer", token=API_KEY)
    basic = CarrierAuth("basic", username=USERNAME, password=PASSWORD)
    for auth in (bearer, basic):
        assert rest_client(sim.url, auth).rate(shipment())["amount"] == 7.5


@pytest.mark.parametrize(
    "auth",
    [
        CarrierAuth("api_key", api_key_header="X-API-Key", api_key="wrong-key-123"),
        CarrierAuth("bearer", token="wrong-token-123"),
        CarrierAuth("basic", username=USERNAME, password="wrong-password-123"),
        CarrierAuth("none"),
    ],
)
def test_rest_refused_credentials_are_permanent_and_not_repeated(sim, auth):
    with pytest.raises(PermanentCarrierError) as info:
        rest_client(sim.url, auth).book(shipment("SO600"), "key-600")
    assert info.value.status_code == 401
    assert "credentials refused by the carrier" in info.value.message
    assert "wrong" not in info.value.message
    assert "wrong" not in repr(info.value)
    assert sim.stats()["bookings"] == 0


def test_rest_missing_credentials_are_permanent_without_a_call(sim):
    with pytest.raises(PermanentCarrierError, match="no API key"):
        rest_client(sim.url, CarrierAuth("api_key")).rate(shipment())
    assert sim.stats()["requests"] == 0


def test_rest_oauth2_token_is_fetched_once_and_cached(sim, tiny, seen):
    auth = CarrierAuth(
        "oauth2",
        oauth_token_url=f"{tiny.url}/token",
        oauth_client_id="client-id",
        oauth_client_secret="client-secret-value",
        oauth_scope="shipping",
    )
    client = rest_client(sim.url, auth)
    assert client.rate(shipment())["amount"] == 7.5
    assert rest_client(sim.url, auth).rate(shipment())["amount"] == 7.5
    assert [request["path"] for request in seen] == ["/token"]
    assert "client-secret-value" not in repr(auth)

    wrong = CarrierAuth(
        "oauth2",
        oauth_token_url=f"{tiny.url}/token",
        oauth_client_id="client-id",
        oauth_client_secret="not-the-secret",
    )
    with pytest.raises(PermanentCarrierError) as info:
        rest_client(sim.url, wrong).rate(shipment())
    assert "credentials refused" in info.value.message
    assert "not-the-secret" not in info.value.message


def test_rest_oauth2_token_url_is_checked(sim):
    auth = CarrierAuth(
        "oauth2",
        oauth_token_url="http://10.0.0.1/token",
        oauth_client_id="id",
        oauth_client_secret="secret-value",
    )
    with pytest.raises(PermanentCarrierError) as info:
        rest_client(sim.url, auth).rate(shipment())
    assert "OAuth2 token URL is refused" in info.value.message
    assert "10.0.0.1 is a private address" in info.value.message
    assert sim.stats()["requests"] == 0


def test_rest_error_rate_gives_transient_errors(sim):
    sim.config(error_rate=1.0)
    client = rest_client(sim.url, timeout=1.0)
    errors = []
    for _call in range(12):
        with pytest.raises(TransientCarrierError) as info:
            client.rate(shipment())
        errors.append(info.value)
    faults = sim.stats()["faults"]
    assert sum(faults.values()) == 12  # one fault per call, nothing retried behind our back
    assert {e.status_code for e in errors} <= {500, 502, 503, 429, None}
    assert any(e.status_code is None for e in errors)  # a timeout or a reset
    for error in errors:
        assert API_KEY not in error.message


def test_rest_429_retry_after_is_honoured(sim):
    sim.config(error_rate=1.0, timeout_sleep=0)  # an injected "timeout" answers at once
    client = rest_client(sim.url, timeout=1.0)
    for _call in range(60):
        try:
            client.rate(shipment())
        except TransientCarrierError as exc:
            if exc.status_code == 429:
                assert exc.retry_after == 1.0
                assert "HTTP 429" in exc.message
                break
    else:
        pytest.fail("no 429 in 60 faulted calls")


def test_retry_after_as_http_date(tiny):
    with pytest.raises(TransientCarrierError) as info:
        rest_client(f"{tiny.url}/slowdown").rate(shipment())
    assert info.value.status_code == 429
    assert 100 <= info.value.retry_after <= 121


def test_parse_retry_after():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert cc.parse_retry_after("2") == 2.0
    assert cc.parse_retry_after(" 1.5 ") == 1.5
    assert cc.parse_retry_after("-3") == 0.0
    assert cc.parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert cc.parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert cc.parse_retry_after("soon") is None
    assert cc.parse_retry_after("") is None
    assert cc.parse_retry_after(None) is None


def test_rest_outage_is_transient_with_retry_after(rest, sim):
    sim.config(outage=True)
    with pytest.raises(TransientCarrierError) as info:
        rest.book(shipment("SO700"), "key-700")
    assert info.value.status_code == 503
    assert info.value.retry_after == 2.0
    sim.config(outage=False)
    assert rest.book(shipment("SO700"), "key-700")["replayed"] is False
    assert sim.stats()["bookings_by_reference"] == {"SO700": 1}


def test_rest_lost_answers_are_recovered_by_the_idempotency_key(rest, sim):
    sim.config(error_rate=0.5)
    client = rest_client(sim.url, timeout=1.0)
    transient = 0
    for _attempt in range(40):
        try:
            booking = client.book(shipment("SO800"), "key-800")
            break
        except TransientCarrierError:
            transient += 1
    else:
        pytest.fail("no booking in 40 attempts at a 50% error rate")
    sim.config(error_rate=0.0)
    assert transient > 0
    assert booking["shipment_id"] == rest.book(shipment("SO800"), "key-800")["shipment_id"]
    assert sim.stats()["bookings_by_reference"] == {"SO800": 1}


def test_rest_connection_refused_is_transient():
    with pytest.raises(TransientCarrierError) as info:
        rest_client("http://127.0.0.1:9", timeout=1.0).rate(shipment())
    assert info.value.status_code is None
    assert "connect" in info.value.message


# --------------------------------------------------------------------------- URL safety


def test_unsafe_base_urls_are_refused_before_any_call(sim):
    for url, reason in [
        ("https://10.0.0.5", "10.0.0.5 is a private address"),
        ("http://169.254.169.254", "cloud metadata"),
        ("https://user:pw-secret@127.0.0.1", "credentials in the URL"),
    ]:
        with pytest.raises(PermanentCarrierError) as info:
            rest_client(url).rate(shipment())
        assert reason in info.value.message
        assert "pw-secret" not in info.value.message
    with pytest.raises(PermanentCarrierError, match="loopback"):
        rest_client(sim.url, allow_http_loopback=False).rate(shipment())
    with pytest.raises(PermanentCarrierError, match="loopback"):
        soap_client(sim.url, allow_http_loopback=False).rate(shipment())
    assert sim.stats()["requests"] == 0


def test_the_url_check_runs_on_every_call_and_redirect(sim, tiny, seen):
    checked = []

    def recording_check(url, allow_http_loopback=False):
        checked.append(url)
        return urlsafety.check_url(url, allow_http_loopback=allow_http_loopback)

    client = rest_client(sim.url, url_check=recording_check)
    client.rate(shipment())
    client.rate(shipment())
    assert checked == [sim.url, sim.url]

    checked.clear()
    hopping = rest_client(f"{tiny.url}/hop", url_check=recording_check)
    assert hopping.rate(shipment())["amount"] == 9.99
    assert checked == [f"{tiny.url}/hop", f"{tiny.url}/ok/v1/rates"]
    assert [(r["method"], r["path"]) for r in seen] == [
        ("POST", "/hop/v1/rates"),
        ("POST", "/ok/v1/rates"),
    ]


def test_redirect_to_a_private_address_is_refused(tiny, seen):
    with pytest.raises(PermanentCarrierError) as info:
        rest_client(f"{tiny.url}/private").rate(shipment())
    assert "redirect target is refused" in info.value.message
    assert "http://10.0.0.1/ is refused: 10.0.0.1 is a private address" in info.value.message
    assert len(seen) == 1  # the first hop only


def test_redirects_are_followed_three_times_at_most(tiny, seen):
    with pytest.raises(PermanentCarrierError, match="more than 3 redirects"):
        rest_client(f"{tiny.url}/loop").rate(shipment())
    assert len(seen) == 4


def test_credentials_do_not_follow_a_redirect_to_another_origin(tiny, seen):
    client = rest_client(f"{tiny.url}/cross")
    assert client.rate(shipment())["amount"] == 9.99
    first, second = seen
    assert first["headers"].get("X-API-Key") == API_KEY
    assert "X-API-Key" not in second["headers"]
    assert second["headers"]["Host"].startswith("localhost:")


def test_answers_that_are_not_json_or_not_pdf_are_permanent(tiny):
    with pytest.raises(PermanentCarrierError, match="invalid JSON"):
        rest_client(f"{tiny.url}/badjson").rate(shipment())
    with pytest.raises(PermanentCarrierError, match="not a PDF"):
        rest_client(f"{tiny.url}/notpdf").label("SIM-1")


# --------------------------------------------------------------------------- SOAP


def test_soap_rate(soap, rest):
    answer = soap.rate(shipment(weight_kg=3.0))
    assert answer["amount"] == rest.rate(shipment(weight_kg=3.0))["amount"] == 8.75
    assert answer["currency"] == "EUR"
    assert answer["transit_days"] == 2


def test_soap_book_round_trip(soap, sim):
    booking = soap.book(shipment("SO900"), "soap-key-900")
    assert booking["label_pdf"].startswith(b"%PDF-")
    assert booking["tracking_number"].encode() in booking["label_pdf"]
    assert booking["shipment_id"].startswith("SIM-")
    assert booking["tracking_number"] in booking["tracking_url"]
    assert booking["price"] == 7.5
    assert booking["currency"] == "EUR"
    again = soap.book(shipment("SO900"), "soap-key-900")
    assert again["shipment_id"] == booking["shipment_id"]
    assert sim.stats()["bookings_by_reference"] == {"SO900": 1}

    sim.advance(booking["shipment_id"])
    events = soap.track([booking["tracking_number"], "SIM1Z999999"])
    assert [e["status"]["code"] for e in events[booking["tracking_number"]]] == ["PU"]
    assert events[booking["tracking_number"]][0]["location"]["city"] == "Paris"
    assert events["SIM1Z999999"] == []
    assert soap.cancel(booking["shipment_id"])["status"] == "cancelled"
    with pytest.raises(PermanentCarrierError, match="book"):
        soap.label(booking["shipment_id"])


def test_soap_wrong_credentials(sim):
    with pytest.raises(PermanentCarrierError) as info:
        soap_client(sim.url, password="wrong-password-123").book(shipment("SO901"), "k-901")
    assert info.value.message == "Invalid credentials"
    assert sim.stats()["bookings"] == 0


def test_soap_outage_and_faults_are_transient(soap, sim):
    sim.config(outage=True)
    with pytest.raises(TransientCarrierError) as info:
        soap.rate(shipment())
    assert info.value.status_code == 503
    assert info.value.retry_after == 2.0
    sim.config(outage=False, error_rate=1.0)
    client = soap_client(sim.url, timeout=1.0)
    statuses = []
    for _call in range(8):
        with pytest.raises(TransientCarrierError) as info:
            client.rate(shipment())
        statuses.append(info.value.status_code)
    assert sum(sim.stats()["faults"].values()) == 9  # the outage answer and 8 faults
    assert set(statuses) <= {500, 502, 503, 429, None}


@pytest.mark.parametrize("mode", ["xxe", "billion_laughs", "dtd"])
def test_soap_unsafe_xml_is_refused(soap, sim, mode):
    hostname = hostname_text()
    sim.config(soap_evil=mode)
    calls = [
        lambda: soap.rate(shipment()),
        lambda: soap.book(shipment("SO950"), "soap-key-950"),
        lambda: soap.cancel("SIM-000001"),
        lambda: soap.track(["SIM1Z000001"]),
    ]
    for call in calls:
        with pytest.raises(PermanentCarrierError) as info:
            call()
        assert info.value.message.startswith("Unsafe XML refused:")
        if hostname:
            assert hostname not in info.value.message
    stats = sim.stats()
    assert stats["evil_dtd_fetches"] == 0
    assert stats["bookings"] == 0


@pytest.mark.parametrize("path", ["bomxxe", "bomlaughs"])
def test_unsafe_xml_behind_a_byte_order_mark_is_refused_by_the_parser(tiny, seen, path):
    client = soap_client(f"{tiny.url}/{path}")
    with pytest.raises(PermanentCarrierError) as info:
        client.rate(shipment())
    assert info.value.message.startswith("Unsafe XML refused:")
    hostname = hostname_text()
    if hostname:
        assert hostname not in info.value.message
    assert [r["path"] for r in seen] == [f"/{path}/soap"]


# --------------------------------------------------------------------------- misc


def test_auth_repr_masks_secrets():
    auth = CarrierAuth(
        "oauth2",
        username="someone",
        password="pw-value",
        token="token-value",
        api_key="key-value",
        oauth_client_id="client",
        oauth_client_secret="client-secret",
    )
    text = repr(auth) + str(auth)
    for secret in ("pw-value", "token-value", "key-value", "client-secret"):
        assert secret not in text
    assert "someone" in text
    assert "'***'" in text
    client = cc.RestCarrierClient("https://93.184.216.34", auth)
    assert "pw-value" not in repr(client)
    with pytest.raises(ValueError, match="unknown auth_type"):
        CarrierAuth("kerberos")


def test_client_for(sim):
    auth = CarrierAuth("basic", username=USERNAME, password=PASSWORD)
    rest = cc.client_for(
        "rest", base_url=sim.url, auth=auth, allow_http_loopback=True, wsdl_path=str(WSDL)
    )
    assert isinstance(rest, cc.RestCarrierClient)
    soap = cc.client_for(
        "soap", base_url=sim.url, auth=auth, allow_http_loopback=True, wsdl_path=str(WSDL)
    )
    assert isinstance(soap, cc.SoapCarrierClient)
    assert soap.rate(shipment())["amount"] == rest.rate(shipment())["amount"]
    with pytest.raises(ValueError, match="unknown carrier protocol"):
        cc.client_for("ftp", base_url=sim.url, auth=auth)


def test_error_hierarchy():
    assert issubclass(TransientCarrierError, cc.CarrierError)
    assert issubclass(PermanentCarrierError, cc.CarrierError)
    error = TransientCarrierError("later", 503, retry_after=2.0)
    assert (error.message, error.status_code, error.retry_after, str(error)) == (
        "later",
        503,
        2.0,
        "later",
    )
