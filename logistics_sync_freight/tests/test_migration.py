# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 18.0.2.0.0 migration on an 18.0.1 charge table: the old charges keep their
ids (and so their chatter, followers and activities), new charges never take one.

Run in a schema of its own put first in the search path, inside the test's
transaction (PostgreSQL's DDL is transactional): the old table as 18.0.1 left it,
the migration's two scripts, and in between the new table as Odoo creates it."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations" / "18.0.2.0.0"


def _script(name):
    spec = importlib.util.spec_from_file_location(f"freight_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestFreightMigration(TransactionCase):
    def _sql(self, query, *args):
        self.env.cr.execute(query, args)
        return self.env.cr.fetchall() if self.env.cr.description else None

    def test_old_charges_keep_their_ids_and_their_chatter(self):
        cr = self.env.cr
        # the chatter of old charge 41 (written before the schema is put first)
        partner = self.env.ref("base.partner_admin")
        message = self.env["mail.message"].create(
            {
                "model": "logistics.freight.charge",
                "res_id": 41,
                "record_name": "old dispute",  # the charge is no record of today's model
                "reply_to": "freight@example.com",
                "body": "Carrier called about it",
            }
        )
        follower = self.env["mail.followers"].create(
            {"res_model": "logistics.freight.charge", "res_id": 41, "partner_id": partner.id}
        )
        self.env.flush_all()
        ((path,),) = self._sql("SHOW search_path")
        self.addCleanup(cr.execute, "SELECT set_config('search_path', %s, true)", [path])
        self._sql("CREATE SCHEMA ls_freight_v1_test")
        self._sql("SELECT set_config('search_path', %s, true)", f"ls_freight_v1_test, {path}")
        # the 18.0.1 table: ids up to 41, an index, a table referring to it
        self._sql(
            "CREATE TABLE logistics_freight_charge (id serial PRIMARY KEY, name varchar,"
            " state varchar, amount numeric)"
        )
        self._sql(
            "CREATE INDEX logistics_freight_charge__state_index ON logistics_freight_charge (state)"
        )
        self._sql(
            "CREATE TABLE ls_referrer (id serial PRIMARY KEY,"
            " charge_id int REFERENCES logistics_freight_charge (id))"
        )
        self._sql(
            "INSERT INTO logistics_freight_charge (id, name, state, amount)"
            " VALUES (7, 'old quote', 'quoted', 10), (41, 'old dispute', 'disputed', 99)"
        )
        self._sql("SELECT setval('logistics_freight_charge_id_seq', 41)")
        self._sql("INSERT INTO ls_referrer (charge_id) VALUES (41)")
        _script("pre-migration").migrate(cr, "18.0.1.0.0")
        # as Odoo then creates the new model's table, with the same index names
        self._sql(
            "CREATE TABLE logistics_freight_charge (id serial PRIMARY KEY, shipment_ref varchar)"
        )
        self._sql(
            "CREATE INDEX logistics_freight_charge__state_index ON logistics_freight_charge (id)"
        )
        _script("post-migration").migrate(cr, "18.0.1.0.0")

        self.assertEqual(
            self._sql(
                "SELECT id, name, state, amount FROM logistics_freight_charge_v1 ORDER BY id"
            ),
            [(7, "old quote", "quoted", 10), (41, "old dispute", "disputed", 99)],
        )
        indexes = {
            row[0]
            for row in self._sql(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'ls_freight_v1_test'"
                " AND tablename = 'logistics_freight_charge_v1'"
            )
        }
        self.assertEqual(
            indexes,
            {"logistics_freight_charge_v1_pkey", "logistics_freight_charge_v1__state_index"},
        )
        self.assertFalse(
            self._sql(
                "SELECT 1 FROM pg_constraint WHERE conrelid = 'ls_referrer'::regclass AND contype = 'f'"
            )
        )
        self.assertEqual(self._sql("SELECT charge_id FROM ls_referrer"), [(41,)])
        # the new charges start after the old ones: the old chatter stays the old charge's
        new_ids = [
            row[0]
            for row in self._sql(
                "INSERT INTO logistics_freight_charge (shipment_ref) VALUES ('WH/OUT/1'), ('WH/OUT/2')"
                " RETURNING id"
            )
        ]
        self.assertEqual(new_ids, [42, 43])
        message.invalidate_recordset()
        follower.invalidate_recordset()
        self.assertEqual((message.model, message.res_id), ("logistics.freight.charge", 41))
        self.assertEqual((follower.res_model, follower.res_id), ("logistics.freight.charge", 41))
        # run again (an update that finds the tables migrated): nothing changes
        _script("pre-migration").migrate(cr, "18.0.1.0.0")
        self.assertEqual(self._sql("SELECT count(*) FROM logistics_freight_charge_v1"), [(2,)])
