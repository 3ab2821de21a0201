# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The SFTP server of the file channel tests: the shipped one
(``logistics_sync_base/simulator/sftp_server.py``, which setup/run also starts for
its demo EDI partner), imported without Odoo."""

from standalone import addon_module

_server = addon_module("logistics_sync_base.simulator.sftp_server")
SftpTestServer = _server.SftpServer
public_key_line = _server.public_key_line
