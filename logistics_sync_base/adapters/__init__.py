# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Plain Python pieces the adapters of every addon share (no ORM): ``http``."""
