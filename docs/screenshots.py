#!/usr/bin/env python3
"""Take the screenshots in docs/ from setup/run's demo, as the users who see each screen.

    setup/run &                                   # the demo, then in another shell:
    .venv/bin/python docs/screenshots.py          # --url http://127.0.0.1:8069 --db ...

It logs in as the admin, an Inventory / User, a Sales / User and a Billing user (it
creates the three in the demo database if they are missing: login = password,
``inventory``, ``sales``, ``billing``; none is in a Logistics Sync group), validates one
demo delivery with the simulated carrier and waits for its tracking to reach
*delivered* (about a minute), then opens each screen in headless Chromium and writes
``docs/<name>.png``.  Chromium is driven over its DevTools protocol (the
``websocket-client`` package Odoo itself needs); no other tool is required.
``--only name`` takes one screenshot; ``--list`` prints them.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

import websocket

DOCS = Path(__file__).resolve().parent
USERS = {
    # login: (name, groups by xml id); password = login (demo only)
    "inventory": ("Ingrid Inventory", ["stock.group_stock_user"]),
    "sales": ("Sam Sales", ["sales_team.group_sale_salesman_all_leads"]),
    "billing": ("Bill Billing", ["account.group_account_invoice"]),
}


class Odoo:
    """XML-RPC as the admin: find the records the screenshots show."""

    def __init__(self, url, db, login, password):
        self.url, self.db, self.password = url, db, password
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            sys.exit(f"cannot log in to {db} at {url} as {login}")
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kwargs
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return rows[0]["res_id"] if rows else False

    def ensure_users(self):
        for login, (name, groups) in USERS.items():
            group_ids = [self.ref(xmlid) for xmlid in groups]
            found = self("res.users", "search", [("login", "=", login)])
            vals = {"groups_id": [(6, 0, [self.ref("base.group_user"), *group_ids])]}
            if found:
                self("res.users", "write", found, vals)
            else:
                self(
                    "res.users", "create", {"name": name, "login": login, "password": login, **vals}
                )

    def delivered_transfer(self, timeout):
        """A demo delivery booked through the carrier simulator and delivered."""
        done = self(
            "stock.picking",
            "search",
            [("logistics_milestone", "=", "delivered"), ("carrier_tracking_ref", "!=", False)],
            limit=1,
            order="id desc",
        )
        if done:
            return done[0]
        carrier = self(
            "delivery.carrier", "search", [("delivery_type", "=", "logistics_sync")], limit=1
        )
        todo = self(
            "stock.picking",
            "search",
            [
                ("picking_type_code", "=", "outgoing"),
                ("state", "=", "assigned"),
                ("carrier_id", "=", False),
                ("sale_id", "!=", False),
            ],
            limit=1,
        )
        if not carrier or not todo:
            sys.exit("no simulated carrier or no ready demo delivery to validate")
        self("stock.picking", "write", todo, {"carrier_id": carrier[0]})
        # skip_sms: stock_sms would ask first whether to text the customer
        answer = self("stock.picking", "button_validate", todo, context={"skip_sms": True})
        if isinstance(answer, dict):
            sys.exit(f"validating transfer {todo[0]} asked for a wizard: {answer.get('res_model')}")
        print(f"validated transfer {todo[0]}; waiting for the carrier simulator to deliver it")
        deadline = time.time() + timeout
        while time.time() < deadline:
            milestone = self("stock.picking", "read", todo, ["logistics_milestone"])[0]
            if milestone["logistics_milestone"] == "delivered":
                return todo[0]
            time.sleep(5)
        print("  not delivered in time: the screenshots show it where it is")
        return todo[0]


class Chromium:
    """Headless Chromium over the DevTools protocol: navigate, run JS, capture."""

    def __init__(self, binary, width, height):
        self.profile = tempfile.mkdtemp(prefix="ls-shots-")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.proc = subprocess.Popen(  # noqa: S603 - our own arguments
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as answer:
                    pages = [t for t in json.load(answer) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.close()
            sys.exit("chromium did not start")
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.js(expression):
                return True
            time.sleep(0.3)
        raise RuntimeError(f"timed out waiting for {expression}")

    def close(self):
        if getattr(self, "proc", None):
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


READY = (
    "!!document.querySelector('.o_action_manager .o_view_controller, .o_action_manager .o_action')"
    " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
    " && document.readyState === 'complete'"
)


def click(text, selector="a, button, .nav-link, .o_notebook .nav-item *"):
    """JS clicking the first element matching ``selector`` whose text is ``text``."""
    return (
        f"(() => {{ const el = [...document.querySelectorAll({json.dumps(selector)})]"
        f".find(e => e.textContent.trim() === {json.dumps(text)});"
        " if (el) { el.click(); return true; } return false; })()"
    )


def click_css(selector):
    """JS clicking the first element matching the CSS ``selector``."""
    return (
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        " if (el) { el.click(); return true; } return false; })()"
    )


def tpl_reconciliation(odoo, timeout=90):
    """A 3PL stock snapshot of warehouse 3PLY reconciled, for the discrepancy list: the
    demo's 3PL simulator is given a small stock and asked for a snapshot (it drifts)."""
    if odoo("logistics.tpl.discrepancy", "search_count", []):
        return
    port = os.environ.get("LS_3PL_SIM_PORT", "8076")
    skus = odoo(
        "product.product",
        "search_read",
        [("default_code", "in", ["OIL-CASE", "FURN_8855", "FURN_7800", "E-COM11"])],
        fields=["default_code"],
    )
    lines = [{"sku": p["default_code"], "quantity": 10 + 5 * i} for i, p in enumerate(skus)]
    for path, body in (("stock", {"lines": lines}), ("snapshot", {"warehouse": "3PLY"})):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/_sim/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 (127.0.0.1)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if odoo("logistics.tpl.discrepancy", "search_count", []):
            return
        time.sleep(2)
    print("no 3PL discrepancy appeared (is the 3PL simulator running?)")


# A partner's 214 with two problems a user must act on: a shipment Odoo does not know
# (set 1, at its B10) and a segment count that does not match (set 2, SE01).
EDI_214_IN_ERROR = """ISA*00*          *00*          *ZZ*LYON3PL        *ZZ*ACMEMFG        *261207*1300*U*00401*{control}*0*T*>~
GS*QM*LYON3PL*ACMEMFG*20261207*1300*{group}*X*004010~
ST*214*0001~
B10*PRO0099*WH/OUT/99999*LYNT~
LX*1~
AT7*X6*NS***20261207*1000*ET~
SE*5*0001~
ST*214*0002~
B10*PRO0003*WH/OUT/00003*LYNT~
LX*1~
AT7*X6*NS***20261207*1000*ET~
MS1*TOLEDO*OH*USA~
SE*7*0002~
GE*2*{group}~
IEA*1*{control}~
"""


def edi_exchange_in_error(odoo, timeout=90):
    """An EDI exchange in error from setup/run's demo EDI partner (demo-edi, a folder):
    a 214 with an unknown shipment and a wrong SE01 is dropped in its inbox and picked up."""
    found = odoo("logistics.edi.exchange", "search", [("state", "=", "error")], limit=1)
    if found:
        return found[0]
    partner = odoo(
        "logistics.endpoint", "search_read", [("code", "=", "demo-edi")], ["file_inbound_path"]
    )
    if not partner or not partner[0]["file_inbound_path"]:
        print("no demo EDI partner (setup/run creates demo-edi)")
        return False
    control = time.strftime("%H%M%S").rjust(9, "0")
    inbox = Path(partner[0]["file_inbound_path"])
    (inbox / f"214_{control}.x12").write_text(
        EDI_214_IN_ERROR.format(control=control, group=int(control))
    )
    time.sleep(7)  # the partner's minimum age: a file still being written is not taken
    odoo(
        "ir.cron",
        "method_direct_trigger",
        [odoo.ref("logistics_sync_base.ir_cron_logistics_file_pickup")],
    )
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = odoo("logistics.edi.exchange", "search", [("state", "=", "error")], limit=1)
        if found:
            return found[0]
        time.sleep(2)
    print("no EDI exchange in error appeared (is the job runner running?)")
    return False


def shots(odoo, transfer_id):
    """(name, login, URL path, JS steps after the view is ready, what it shows)."""
    tms_order = odoo("sale.order", "search", [("tms_release_state", "!=", False)], limit=1)
    tms_picking = odoo("stock.picking", "search", [("tms_release_ids", "!=", False)], limit=1)
    endpoint = odoo("logistics.endpoint", "search", [("code", "=", "demo-carrier")], limit=1)
    karrio = odoo("logistics.endpoint", "search", [("code", "=", "demo-ups")], limit=1)
    alert = odoo("logistics.sync.alert", "search", [], limit=1, order="id desc")
    edi_error = odoo("logistics.edi.exchange", "search", [("state", "=", "error")], limit=1)
    edi_error = edi_error and edi_error[0]
    picking = f"/odoo/action-stock.action_picking_tree_all/{transfer_id}"
    items = [
        (
            "monitoring-overview",
            "admin",
            "/odoo/action-logistics_sync_monitoring.logistics_endpoint_overview_action",
            [],
            "Overview",
        ),
        (
            "kpi-history-graph",
            "admin",
            "/odoo/action-logistics_sync_monitoring.logistics_sync_kpi_action",
            [],
            "KPI history",
        ),
        (
            "kpi-history-list",
            "admin",
            "/odoo/action-logistics_sync_monitoring.logistics_sync_kpi_action?view_type=list",
            [],
            "KPI history list",
        ),
        (
            "sync-dashboard",
            "admin",
            "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
            [
                click_css(
                    ".o_search_panel_category_value[data-name='Logistics Sync health'] header, .o_search_panel_category_value[data-name='Logistics Sync health']"
                )
            ],
            "Spreadsheet dashboard",
        ),
        (
            "dead-letters",
            "admin",
            "/odoo/action-logistics_sync_base.logistics_event_dead_action",
            [],
            "Dead letters",
        ),
        (
            "endpoint-form",
            "admin",
            f"/odoo/action-logistics_sync_base.logistics_endpoint_action/{endpoint[0]}"
            if endpoint
            else None,
            [],
            "Endpoint form",
        ),
        (
            "karrio-endpoint-form",
            "admin",
            f"/odoo/action-logistics_sync_base.logistics_endpoint_action/{karrio[0]}"
            if karrio
            else None,
            [click("Outbound calls")],
            "A real carrier through karrio (UPS, demo fake)",
        ),
        (
            "settings-logistics-sync",
            "admin",
            "/odoo/action-logistics_sync_base.logistics_sync_settings_action",
            [],
            "Settings > Logistics Sync",
        ),
        (
            "transfer-logistics-tab",
            "inventory",
            picking,
            [click("Logistics")],
            "Transfer, Logistics tab (Inventory / User)",
        ),
        (
            "transfer-trace-tab",
            "admin",
            picking,
            [click("Trace")],
            "Transfer, Trace tab (Logistics Sync user)",
        ),
        (
            "carrier-booking",
            "inventory",
            picking,
            [],
            "Transfer booked and delivered (Inventory / User)",
        ),
        (
            "tms-sale-order",
            "sales",
            f"/odoo/action-sale.action_orders/{tms_order[0]}" if tms_order else None,
            [],
            "Sales order released to the TMS (Sales / User)",
        ),
        (
            "tms-transfer-chatter",
            "inventory",
            f"/odoo/action-stock.action_picking_tree_all/{tms_picking[0]}" if tms_picking else None,
            [],
            "TMS answers on the delivery (Inventory / User)",
        ),
        (
            "freight-variance-pivot",
            "billing",
            "/odoo/action-logistics_sync_freight.logistics_freight_variance_action",
            [],
            "Freight variance (Billing)",
        ),
        (
            "tpl-discrepancies",
            "admin",
            "/odoo/action-logistics_sync_3pl.logistics_tpl_discrepancy_action",
            [],
            "3PL stock discrepancies (Inventory / Administrator)",
        ),
        (
            "edi-exchange-error",
            "admin",
            f"/odoo/action-logistics_sync_edi.action_logistics_edi_exchange/{edi_error}"
            if edi_error
            else None,
            [
                # the error lines under the envelope: scroll them into view
                "(() => { const el = document.querySelector('.o_form_view .o_notebook');"
                " if (el) { el.scrollIntoView(); return true; } return false; })()"
            ],
            "An EDI exchange in error: each problem at its segment position",
        ),
        (
            "alert-form",
            "admin",
            f"/odoo/action-logistics_sync_monitoring.logistics_sync_alert_action/{alert[0]}"
            if alert
            else None,
            [],
            "An alert",
        ),
    ]
    return [item for item in items if item[2]]


def login(browser, url, db, user):
    browser.send("Network.enable")
    browser.send("Network.clearBrowserCookies")
    browser.send("Page.navigate", url=f"{url}/web/login?db={db}")
    browser.wait("!!document.querySelector('input[name=login]')")
    browser.js(
        f"document.querySelector('input[name=login]').value = {json.dumps(user)};"
        f"document.querySelector('input[name=password]').value = {json.dumps(user)};"
        "document.querySelector('form.oe_login_form').submit(); true"
    )
    browser.wait("location.pathname.startsWith('/odoo')", 60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default=f"http://127.0.0.1:{os.environ.get('LS_HTTP_PORT', '8069')}"
    )
    parser.add_argument("--db", default=os.environ.get("LS_DB", "logistics_sync_demo"))
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--out", default=str(DOCS))
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--wait-delivered", type=int, default=180, help="seconds")
    parser.add_argument("--only", action="append", help="a screenshot name (repeatable)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()

    odoo = Odoo(args.url, args.db, "admin", args.admin_password)
    odoo.ensure_users()
    transfer_id = odoo.delivered_transfer(args.wait_delivered)
    if not args.only or "tpl-discrepancies" in args.only:
        tpl_reconciliation(odoo)
    if not args.only or "edi-exchange-error" in args.only:
        edi_exchange_in_error(odoo)
    todo = [s for s in shots(odoo, transfer_id) if not args.only or s[0] in args.only]
    if args.list:
        for name, user, path, _steps, label in todo:
            print(f"{name:28} {user:10} {label}  {path}")
        return
    browser = Chromium(args.chromium, args.width, args.height)
    current, failed = None, []
    try:
        for name, user, path, steps, label in todo:
            if user != current:
                login(browser, args.url, args.db, "admin" if user == "admin" else user)
                current = user
            try:
                browser.send("Page.navigate", url=args.url + path)
                time.sleep(1)
                browser.wait(READY, 60)
                for step in steps:
                    if not browser.js(step):
                        raise RuntimeError(f"nothing to click: {step[:120]}")
                    time.sleep(0.5)
                    browser.wait(READY, 30)
                time.sleep(1.5)  # charts and lazy panels finish drawing
                errors = browser.js(
                    "[...document.querySelectorAll('.o_error_dialog, .o_dialog .modal-title')]"
                    ".map(e => e.textContent.trim()).join(' | ')"
                )
                if errors:
                    raise RuntimeError(f"error dialog: {errors}")
                data = browser.send("Page.captureScreenshot", format="png")["data"]
                Path(args.out, f"{name}.png").write_bytes(base64.b64decode(data))
                print(f"docs/{name}.png  {label} as {user}")
            except RuntimeError as exc:
                failed.append(name)
                print(f"FAILED {name}: {exc}")
    finally:
        browser.close()
    if failed:
        sys.exit(f"{len(failed)} screenshot(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
