# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Plain Python client of a TMS's REST/JSON API (no ORM): ``client.TmsClient``."""

from .client import PermanentTmsError, TmsClient, TransientTmsError

__all__ = ["PermanentTmsError", "TmsClient", "TransientTmsError"]
