# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Plain Python client of a 3PL's document API (no ORM): ``client.TplClient``."""

from .client import PermanentTplError, TplClient, TransientTplError

__all__ = ["PermanentTplError", "TplClient", "TransientTplError"]
