# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator (standard library only, paramiko for X12 over SFTP; Odoo never
imports it): see ``tpl_simulator.py`` (entry point), ``app.py`` (the warehouse) and
``x12_mailbox.py`` (its X12 files over SFTP)."""
