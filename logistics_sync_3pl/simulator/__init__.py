# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator (standard library only; Odoo never imports it): see
``tpl_simulator.py`` (entry point) and ``app.py`` (the warehouse)."""
