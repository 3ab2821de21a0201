# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fair channels: the queue_job runner gives every endpoint a channel of its own, with
the endpoint's capacity, also for an endpoint created after the server started.

queue_job reads channel capacities once, from the ``[queue_job] channels`` option. A
job whose channel the option does not name runs in an unlimited sub-channel of the
nearest named parent, so every endpoint not named there shared one capacity (e.g.
``root.logistics_sync:2``): two stuck jobs of one endpoint stopped the events of all
the others.

Here, in the runner, a job whose channel is ``root.logistics_sync.<code>`` and that the
option does not name gets the channel ``root.logistics_sync.<code>`` with the
endpoint's ``channel_capacity`` (read from the job's database when the runner first
sees the channel; 1 when no active endpoint has it); the capacities are read again
every ``REFRESH_SECONDS`` (the runner wakes up for it), so a capacity edited in the
form applies without a restart.
Channels the option names keep their configured capacity (the option wins), and
``root.logistics_sync`` itself, when named, still caps all endpoints together.

Applied once per process by ``post_load`` (logistics_sync_base is a server-wide
module, README "Deployment"), before the runner starts.
"""

import logging
import time
from contextlib import closing

from odoo.addons.queue_job.jobrunner.channels import ChannelManager
from odoo.addons.queue_job.jobrunner.runner import QueueJobRunner

_logger = logging.getLogger(__name__)

PREFIX = "root.logistics_sync."
DEFAULT_CAPACITY = 1
REFRESH_SECONDS = 30

_CAPACITIES = """
    SELECT channel_name, channel_capacity FROM logistics_endpoint
    WHERE active AND channel_name IS NOT NULL
"""


def endpoint_channel(channel_name):
    """The full name when ``channel_name`` is an endpoint's channel, else None."""
    if not channel_name:
        return None
    name = channel_name if channel_name.startswith("root.") else f"root.{channel_name}"
    code = name[len(PREFIX) :] if name.startswith(PREFIX) else ""
    return name if code and "." not in code else None


def read_capacities(cr):
    """{channel name: capacity} of the active endpoints, read with the cursor ``cr``;
    {} on a database without the table."""
    cr.execute("SELECT to_regclass('logistics_endpoint') IS NOT NULL")
    if not cr.fetchone()[0]:
        return {}
    cr.execute(_CAPACITIES)
    return {name: max(1, capacity or DEFAULT_CAPACITY) for name, capacity in cr.fetchall()}


def _notify(original):
    def notify(self, db_name, channel_name, *args, **kwargs):
        name = endpoint_channel(channel_name)
        if name and name not in self._channels_by_name:
            source = getattr(self, "logistics_capacities", None)
            capacity = (source(db_name) if source else {}).get(name, DEFAULT_CAPACITY)
            self.get_channel_from_config({"name": name, "capacity": capacity})
            self.logistics_auto = getattr(self, "logistics_auto", set()) | {name}
        return original(self, db_name, channel_name, *args, **kwargs)

    return notify


def _get_wakeup_time(original):
    def get_wakeup_time(self):
        # with channels of ours, the runner wakes up at least every REFRESH_SECONDS
        # (it otherwise sleeps until a job changes), so an edited capacity applies
        wakeup = original(self)
        if getattr(self, "logistics_auto", None):
            due = time.time() + REFRESH_SECONDS
            wakeup = min(wakeup, due) if wakeup else due
        return wakeup

    return get_wakeup_time


def refresh_capacities(manager, capacities):
    """Give the channels created here the capacities ``{channel name: capacity}``
    (a channel whose endpoint is gone or archived: DEFAULT_CAPACITY)."""
    for name in getattr(manager, "logistics_auto", ()):
        channel = manager._channels_by_name.get(name)
        capacity = capacities.get(name, DEFAULT_CAPACITY)
        if channel is not None and channel.capacity != capacity:
            _logger.info("Channel %s: capacity %s -> %s", name, channel.capacity, capacity)
            channel.capacity = capacity


def _runner_capacities(runner, db_name):
    db = runner.db_by_name.get(db_name)
    if not db:
        return {}
    with closing(db.conn.cursor()) as cr:
        return read_capacities(cr)


def _initialize_databases(original):
    def initialize_databases(self):
        self.channel_manager.logistics_capacities = lambda db_name: _runner_capacities(
            self, db_name
        )
        self.logistics_refreshed = time.monotonic()
        return original(self)

    return initialize_databases


def _process_notifications(original):
    def process_notifications(self):
        manager = self.channel_manager
        due = time.monotonic() - getattr(self, "logistics_refreshed", 0) >= REFRESH_SECONDS
        if due and getattr(manager, "logistics_auto", None):
            self.logistics_refreshed = time.monotonic()
            capacities = {}
            for db_name in self.db_by_name:
                capacities.update(_runner_capacities(self, db_name))
            refresh_capacities(manager, capacities)
        return original(self)

    return process_notifications


def patch_runner():
    """Extend queue_job's runner classes (once per process)."""
    if getattr(ChannelManager.notify, "logistics_sync_patched", False):
        return
    for cls, name, wrap in (
        (ChannelManager, "notify", _notify),
        (ChannelManager, "get_wakeup_time", _get_wakeup_time),
        (QueueJobRunner, "initialize_databases", _initialize_databases),
        (QueueJobRunner, "process_notifications", _process_notifications),
    ):
        patched = wrap(getattr(cls, name))
        patched.logistics_sync_patched = True
        setattr(cls, name, patched)
