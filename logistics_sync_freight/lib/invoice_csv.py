# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier invoice files (CSV): parse and check every line, plain values only.

Columns (header row required, comma separated, UTF-8):

``invoice_number, invoice_date, currency, shipment_ref, tracking_ref,
charge_type, amount, quantity, description``

``invoice_date`` is ``YYYY-MM-DD``; ``currency`` an ISO 4217 code; ``amount``
the line's total (a decimal point, no thousands separator), ``quantity``
optional (default 1); ``shipment_ref`` or ``tracking_ref`` is required; all
lines of one invoice number share its date and currency.
"""

import csv
import hashlib
import io
from datetime import date

COLUMNS = (
    "invoice_number",
    "invoice_date",
    "currency",
    "shipment_ref",
    "tracking_ref",
    "charge_type",
    "amount",
    "quantity",
    "description",
)
REQUIRED = ("invoice_number", "invoice_date", "currency", "charge_type", "amount")


def file_hash(data):
    """SHA-256 of the file's bytes: the same file twice is recognised by it."""
    return hashlib.sha256(data).hexdigest()


def parse(data, charge_types, currencies):
    """``(invoices, line_count, errors)`` of a carrier invoice file.

    ``data``: the file's bytes; ``charge_types``: known charge type codes;
    ``currencies``: known active currency codes. ``invoices``: {number: {"date",
    "currency", "lines": [{"line", "shipment_ref", "tracking_ref", "charge_type",
    "amount", "quantity", "description"}]}}; ``errors``: [{"line", "column",
    "message"}] (line 1 is the header). Any error refuses the whole file.
    """
    errors = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, 0, [{"line": 0, "column": "", "message": f"not UTF-8: {exc}"}]
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return {}, 0, [{"line": 1, "column": name, "message": "missing column"} for name in missing]
    reader.fieldnames = header
    invoices, count = {}, 0
    for line_no, raw in enumerate(reader, start=2):
        count += 1
        row = {key: (value or "").strip() for key, value in raw.items() if key}
        line_errors = []

        # the defaults bind this line's number and list (not a shared default)
        def err(column, message, _line=line_no, _errors=line_errors):  # pylint: disable=dangerous-default-value
            _errors.append({"line": _line, "column": column, "message": message})

        for name in REQUIRED:
            if not row.get(name):
                err(name, "required")
        if not row.get("shipment_ref") and not row.get("tracking_ref"):
            err("shipment_ref", "shipment_ref or tracking_ref is required")
        try:
            day = (
                date.fromisoformat(row.get("invoice_date", "")) if row.get("invoice_date") else None
            )
        except ValueError:
            err("invoice_date", f"not a date (YYYY-MM-DD): {row['invoice_date']!r}")
            day = None
        if row.get("currency") and row["currency"].upper() not in currencies:
            err("currency", f"unknown currency {row['currency']!r}")
        if row.get("charge_type") and row["charge_type"] not in charge_types:
            err("charge_type", f"unknown charge type {row['charge_type']!r}")
        amount = _number(row.get("amount"), "amount", err)
        quantity = _number(row.get("quantity") or "1", "quantity", err)
        if quantity is not None and quantity <= 0:
            err("quantity", "must be positive")
        number = row.get("invoice_number")
        if not line_errors and number:
            invoice = invoices.setdefault(
                number, {"date": day, "currency": row["currency"].upper(), "lines": []}
            )
            if invoice["date"] != day or invoice["currency"] != row["currency"].upper():
                err("invoice_number", f"invoice {number} has another date or currency above")
            else:
                invoice["lines"].append(
                    {
                        "line": line_no,
                        "shipment_ref": row.get("shipment_ref") or row.get("tracking_ref"),
                        "tracking_ref": row.get("tracking_ref") or False,
                        "charge_type": row["charge_type"],
                        "amount": amount,
                        "quantity": quantity,
                        "description": row.get("description") or False,
                    }
                )
        errors.extend(line_errors)
    if not count and not errors:
        errors.append({"line": 1, "column": "", "message": "no charge line"})
    return invoices, count, errors


def _number(value, column, err):
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        err(column, f"not a number: {value!r}")
        return None
    if number != number or number in (float("inf"), float("-inf")):
        err(column, f"not a number: {value!r}")
        return None
    return number
