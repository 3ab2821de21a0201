# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The freight settlement cron SIGKILLed in the middle of a batch, then run again:
no charge billed twice, none missing.

Two Odoo processes on setup/test's database (tests/freight_cron.py). The first
prepares 48 charges of a new carrier (the cron's batch size set to 6 charges, bills
of 2 lines: about 8 batches of 3 bills), then runs the settlement cron as the cron
worker does; it is SIGKILLed (its own PID) once some of the carrier's bills are
committed and while its open transaction writes the next batch's bills (PostgreSQL
says so: its backend holds a RowExclusiveLock on ``account_move``; the process is
frozen by SIGSTOP while this is checked, so it cannot commit in between). The second
runs the cron to the end. Then, from PostgreSQL: every approved charge on exactly
one line of a posted bill, bill totals (untaxed) equal to their charges, the killed batch's
bills gone with it, the ``ir.cron.progress`` rows adding up, nothing left in
progress, and no WARNING or ERROR in either process's log (a SIGKILL writes none)."""

import configparser
import json
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from conftest import ROOT, live_settings

TRANSFERS = 12  # 4 charges each: 48 charges
BATCH = 6  # charges per cron batch
LINES_PER_BILL = 2
BAD_LINE = (" WARNING ", " ERROR ", " CRITICAL ")


@pytest.fixture
def freight_db(tmp_path):
    source_conf, odoo_bin, python = live_settings()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(source_conf)
    options = parser["options"]
    conn = psycopg2.connect(
        dbname=options["db_name"],
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
        password=options.get("db_password") or None,
    )
    conn.autocommit = True

    def odoo(*args, log):
        """An Odoo process of tests/freight_cron.py, its log in ``log``."""
        command = [python, str(ROOT / "tests" / "freight_cron.py"), str(Path(odoo_bin).parent)]
        with open(log, "ab") as handle:
            return subprocess.Popen(  # noqa: S603
                [*command, source_conf, options["db_name"], *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=handle,
                cwd=ROOT,
            )

    try:
        yield conn, odoo
    finally:
        conn.close()


def _one(cur, query, *args):
    cur.execute(query, args)
    return cur.fetchone()


def _run(process, timeout=120):
    process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exit status {process.returncode}"


def _writing_bills(cur, partner, app):
    """(bills of ``partner`` committed, its charges still approved, whether the
    process ``app`` has an open transaction that wrote to account_move)"""
    return _one(
        cur,
        """SELECT (SELECT count(*) FROM account_move WHERE partner_id = %s),
                  (SELECT count(*) FROM logistics_freight_charge
                    WHERE partner_id = %s AND state = 'approved'),
                  EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                           WHERE a.application_name = %s AND l.granted
                             AND l.relation = 'account_move'::regclass
                             AND l.mode = 'RowExclusiveLock')""",
        partner,
        partner,
        app,
    )


def _bad_lines(*logs):
    return [
        line
        for log in logs
        for line in log.read_text().splitlines()
        if any(b in line for b in BAD_LINE)
    ]


def test_settlement_killed_mid_batch_bills_nothing_twice(tmp_path, freight_db):
    conn, odoo = freight_db
    logs = [tmp_path / "killed.log", tmp_path / "again.log"]
    cur = conn.cursor()
    cron, code = _one(
        cur,
        """SELECT c.id, a.code FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id
             JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id
            WHERE d.module = 'logistics_sync_freight' AND d.name = 'ir_cron_freight_settle'""",
    )
    # run 1: prepares the charges, waits, settles; SIGKILLed midway
    process = odoo(
        "settle", uuid.uuid4().hex[:8], str(TRANSFERS), str(BATCH), str(LINES_PER_BILL), log=logs[0]
    )
    try:
        prepared = json.loads(process.stdout.readline() or "null")
        assert prepared, f"preparing failed, see {logs[0]}"
        assert prepared["cron_id"] == cron
        partner = prepared["partner_id"]
        cur.execute(
            "SELECT id, approved_amount FROM logistics_freight_charge"
            " WHERE partner_id = %s AND state = 'approved'",
            [partner],
        )
        approved = dict(cur.fetchall())
        assert len(approved) >= 3 * BATCH, "enough charges for several batches"
        (progress_before,) = _one(cur, "SELECT coalesce(max(id), 0) FROM ir_cron_progress")
        (billed_before,) = _one(
            cur, "SELECT count(*) FROM logistics_freight_charge WHERE move_id IS NOT NULL"
        )
        process.stdin.write(b"settle\n")
        process.stdin.flush()

        # SIGKILLed while its transaction writes bills, some bills committed
        app = f"odoo-{process.pid}"
        deadline, state = time.monotonic() + 90, None
        while time.monotonic() < deadline and process.poll() is None:
            state = _writing_bills(cur, partner, app)
            if all(state):
                # frozen, it cannot commit between the look and the kill
                process.send_signal(signal.SIGSTOP)
                state = _writing_bills(cur, partner, app)
                if all(state):
                    process.kill()  # SIGKILL, this PID only
                    break
                process.send_signal(signal.SIGCONT)
            time.sleep(0.02)
        process.wait(timeout=30)
        assert process.returncode == -9, f"not killed mid-batch: {process.returncode}, {state}"
        for _i in range(200):  # PostgreSQL ends the dead process's sessions
            if not _one(
                cur, "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", app
            )[0]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the killed process's sessions stay open")
        # killed in a batch: its progress row was committed, nothing it did after was
        last = _one(
            cur,
            "SELECT done, remaining, timed_out_counter FROM ir_cron_progress"
            " WHERE cron_id = %s ORDER BY id DESC LIMIT 1",
            cron,
        )
        assert last[0] == 0 and last[2] >= 1, last
        # the bills of the killed batch were created (their ids were taken), then rolled back
        assert _one(
            cur, "SELECT last_value > (SELECT max(id) FROM account_move) FROM account_move_id_seq"
        )[0]
        billed_killed, left_killed = _one(
            cur,
            "SELECT count(*) FILTER (WHERE state = 'billed'), count(*) FILTER (WHERE state = 'approved')"
            " FROM logistics_freight_charge WHERE partner_id = %s",
            partner,
        )
        assert billed_killed and left_killed, (billed_killed, left_killed)

        # run 2, to the end
        _run(odoo("settle", log=logs[1]))
    finally:
        if process.poll() is None:  # the test failed before the kill
            process.kill()
            process.wait(timeout=30)
        cur.execute(
            "UPDATE ir_act_server SET code = %s"
            " WHERE id = (SELECT ir_actions_server_id FROM ir_cron WHERE id = %s)",
            [code, cron],
        )

    # every approved charge on exactly one line of a posted bill, that line its own
    cur.execute(
        """SELECT c.id, c.state, count(l.id), bool_and(l.id = c.move_line_id),
                  bool_and(l.move_id = c.move_id), bool_and(m.state = 'posted')
             FROM logistics_freight_charge c
        LEFT JOIN account_move_line l ON l.logistics_freight_charge_id = c.id
        LEFT JOIN account_move m ON m.id = l.move_id
            WHERE c.id = ANY(%s) GROUP BY c.id""",
        [list(approved)],
    )
    rows = cur.fetchall()
    assert len(rows) == len(approved)
    assert [row for row in rows if row[1:] != ("billed", 1, True, True, True)] == []
    assert not _one(
        cur,
        "SELECT count(*) FROM (SELECT 1 FROM account_move_line WHERE logistics_freight_charge_id"
        " IS NOT NULL GROUP BY logistics_freight_charge_id HAVING count(*) > 1) twice",
    )[0]
    assert not _one(  # the disputed ones stay off the bills
        cur,
        "SELECT count(*) FROM logistics_freight_charge WHERE partner_id = %s"
        " AND NOT (id = ANY(%s)) AND (move_id IS NOT NULL OR state = 'billed')",
        partner,
        list(approved),
    )[0]
    # the carrier's bills: one line per charge (no other product line), untaxed totals =
    # charges (the charge types' products carry the company's purchase tax: bills have taxes)
    cur.execute(
        """SELECT m.id, m.move_type, m.amount_untaxed, count(l.id), count(c.id),
                  coalesce(sum(c.approved_amount), 0)
             FROM account_move m
             JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'product'
        LEFT JOIN logistics_freight_charge c ON c.id = l.logistics_freight_charge_id
            WHERE m.partner_id = %s GROUP BY m.id""",
        [partner],
    )
    bills = cur.fetchall()
    assert bills and all(
        b[1] == "in_invoice" and b[3] == b[4] <= LINES_PER_BILL for b in bills
    ), bills
    assert all(round(float(b[2]), 2) == round(float(b[5]), 2) for b in bills), bills
    assert round(sum(float(b[2]) for b in bills), 2) == round(float(sum(approved.values())), 2)
    assert sum(b[4] for b in bills) == len(approved)

    # the cron's progress rows add up; nothing left in progress
    (billed_after,) = _one(
        cur, "SELECT count(*) FROM logistics_freight_charge WHERE move_id IS NOT NULL"
    )
    cur.execute(
        "SELECT done, remaining, timed_out_counter FROM ir_cron_progress"
        " WHERE cron_id = %s AND id > %s ORDER BY id",
        [cron, progress_before],
    )
    progress = cur.fetchall()
    assert sum(row[0] for row in progress) == billed_after - billed_before == len(approved)
    assert [row[2] for row in progress].count(0) == len(progress) - 1, progress  # the kill's row
    assert progress[-1][1] == 0, progress
    assert _one(
        cur,
        """SELECT active AND failure_count = 0 AND nextcall > now() at time zone 'UTC'
                  AND NOT EXISTS (SELECT 1 FROM ir_cron_trigger t WHERE t.cron_id = ir_cron.id
                                   AND t.call_at <= now() at time zone 'UTC')
             FROM ir_cron WHERE id = %s""",
        cron,
    )[0]
    conn.autocommit = False
    cur.execute(  # no charge still locked by a dead or living transaction
        "SELECT id FROM logistics_freight_charge WHERE partner_id = %s FOR UPDATE NOWAIT",
        [partner],
    )
    conn.rollback()
    # a SIGKILL leaves no line in its process's log: both logs are checked
    assert _bad_lines(*logs) == []
