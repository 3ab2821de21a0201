# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fair channels (jobrunner.py): queue_job's own channel manager, extended, schedules
an endpoint created after the runner started in a channel of its own, so one stuck
endpoint never holds the jobs of another.  The runner itself is exercised by
tests/test_live_channels.py."""

from odoo.tests import TransactionCase, tagged

from ..jobrunner import DEFAULT_CAPACITY, endpoint_channel, read_capacities, refresh_capacities
from odoo.addons.queue_job.jobrunner.channels import ChannelManager

DB = "db"


def _pending(manager, channel, seq):
    manager.notify(DB, channel, f"{channel}-{seq}", seq, seq, 10, None, "pending")


def _running_channels(manager):
    return sorted(job.channel.fullname for job in manager.get_jobs_to_run(now=1))


@tagged("post_install", "-at_install")
class TestChannels(TransactionCase):
    def test_endpoint_channel_names(self):
        self.assertEqual(endpoint_channel("root.logistics_sync.a-1"), "root.logistics_sync.a-1")
        self.assertEqual(endpoint_channel("logistics_sync.b_2"), "root.logistics_sync.b_2")
        for other in ("root", "root.logistics_sync", "root.logistics_sync_carrier.x", None, ""):
            self.assertIsNone(endpoint_channel(other), other)
        self.assertIsNone(endpoint_channel("root.logistics_sync.a.sub"))

    def test_a_stuck_endpoint_never_holds_another(self):
        """root.logistics_sync:2 named, endpoints A and B not: A's jobs (stuck: they
        never finish) take A's capacity, not the capacity all endpoints share."""
        manager = ChannelManager()
        manager.simple_configure("root:4,root.logistics_sync:2")
        for seq in range(1, 4):
            _pending(manager, "root.logistics_sync.a", seq)
        self.assertEqual(_running_channels(manager), ["root.logistics_sync.a"])
        _pending(manager, "root.logistics_sync.b", 10)
        self.assertEqual(_running_channels(manager), ["root.logistics_sync.b"])
        a = manager.get_channel_by_name("root.logistics_sync.a")
        self.assertEqual(a.capacity, DEFAULT_CAPACITY)
        self.assertEqual(a.parent.fullname, "root.logistics_sync")
        self.assertEqual(a.parent.capacity, 2, "the named parent still caps all endpoints")

    def test_capacity_from_the_endpoint_and_explicit_configuration_wins(self):
        manager = ChannelManager()
        manager.simple_configure("root:8,root.logistics_sync.named:1")
        capacities = {"root.logistics_sync.wide": 3, "root.logistics_sync.named": 5}
        manager.logistics_capacities = lambda db_name: capacities if db_name == DB else {}
        for seq in range(1, 6):
            _pending(manager, "root.logistics_sync.wide", seq)
            _pending(manager, "root.logistics_sync.named", 10 + seq)
        self.assertEqual(
            _running_channels(manager),
            ["root.logistics_sync.named"] + ["root.logistics_sync.wide"] * 3,
        )
        # the capacity edited in the form: applied by the next refresh, to its own
        # channel only
        capacities.update({"root.logistics_sync.wide": 1, "root.logistics_sync.named": 9})
        refresh_capacities(manager, capacities)
        self.assertEqual(manager.get_channel_by_name("root.logistics_sync.wide").capacity, 1)
        self.assertEqual(manager.get_channel_by_name("root.logistics_sync.named").capacity, 1)
        # an endpoint archived or deleted: its channel falls back to the default
        refresh_capacities(manager, {})
        self.assertEqual(
            manager.get_channel_by_name("root.logistics_sync.wide").capacity, DEFAULT_CAPACITY
        )

    def test_capacities_read_from_the_database(self):
        Endpoint = self.env["logistics.endpoint"]
        wide = Endpoint.create(
            {"name": "Wide", "code": "wide-chan", "kind": "tms", "channel_capacity": 3}
        )
        archived = Endpoint.create({"name": "Old", "code": "old-chan", "kind": "tms"})
        archived.active = False
        Endpoint.flush_model()
        capacities = read_capacities(self.env.cr)
        self.assertEqual(capacities[wide.channel_name], 3)
        self.assertNotIn(archived.channel_name, capacities)
