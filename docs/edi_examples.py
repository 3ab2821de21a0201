#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Writes the outbound example files of logistics_sync_edi/readme/examples/ (940, 856,
204, DESADV, the 997 answering the 214 example, and the 824 Odoo would send if that
214's shipment were unknown) with the addon's own writer (``lib/maps_tpl.py``, ``lib/maps_tms.py``,
``lib/x12map.py``, ``lib/x12.py``, ``lib/edifact.py``: the functions the exchange
records call) from demo-like documents: one story, which the inbound examples (945,
990, 214, 210, IFTSTA, written by hand as a partner would) answer.
tests/test_edi_examples.py fails when an example differs from what the writer
produces, and reads the inbound examples with the engine against these.

    python3 docs/edi_examples.py          # rewrite the outbound examples
    python3 docs/edi_examples.py --check  # exit 1 when one is stale

The story: Acme Manufacturing (ISA ZZ/ACMEMFG, usage P) ships delivery 3PLY/OUT/00007
(sale S00042 for Deco Addict, Pleasant Hill CA) from the warehouse 3PLY run by the
3PL LYON3PL (ISA ZZ/LYON3PL): the 940 is version 2 of the shipping order (W05 R),
the 945 answers it (N9 VR 2: 3 of 5 lamps and 2 drawers shipped, the rest a
backorder), the 856 to the customer (ZZ/DECOADDICT) and the DESADV (an EDIFACT
customer) tell what was shipped.  Delivery WH/OUT/00042 of the same order goes by
the carrier ODFL (ISA ZZ/ODFL): the 204 is version 2 of the release (B2A 04), the
990 accepts it (N9 VR 2), the 214 reports its pick-up (and the 997 answers it), the
210 invoices it, the IFTSTA is the same kind of status from a European carrier.
"""

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDI = ROOT / "logistics_sync_edi"
EXAMPLES = EDI / "readme" / "examples"
INBOUND = EXAMPLES  # the hand-written inbound examples the outbound 997 answers

# what an endpoint's EDI tab holds (readme/CONFIGURE.md): one qualifier and ID per party
US = ("ZZ", "ACMEMFG")
PARTNERS = {"940": ("ZZ", "LYON3PL"), "856": ("ZZ", "DECOADDICT"), "204": ("ZZ", "ODFL")}
USAGE = "P"  # a partner in production; T on a test endpoint (the demo's)
CONTROL = 12  # ISA13 / GS06 of our examples (the partner's sequence)
# ISA09/ISA10, GS04/GS05 (UTC): the orders in the morning, the notices after shipping
ORDERED, SHIPPED = datetime(2026, 12, 7, 9, 30), datetime(2026, 12, 7, 16, 30)

DECO_ADDICT = {
    "name": "Deco Addict",
    "street": "77 Santa Barbara Rd",
    "city": "Pleasant Hill",
    "state": "CA",
    "zip": "94523",
    "country": "US",
}
ACME = {
    "name": "Acme Manufacturing",
    "street": "12 Rue de Gerland",
    "city": "Lyon",
    "zip": "69007",
    "country": "FR",
}
# logistics_sync_3pl/schemas/shipping_order_v1.json: version 2 of the shipping order
SHIPPING_ORDER = {
    "schema_version": 1,
    "document_type": "shipping_order",
    "document_id": "3PLY/OUT/00007",
    "version": 2,
    "warehouse": "3PLY",
    "party": DECO_ADDICT,
    "references": {"order": "S00042", "customer_reference": None, "origin": "S00042"},
    "scheduled_date": "2026-12-08T09:30:00Z",
    "carrier": "UPS Ground",
    "lines": [
        {
            "line_id": 101,
            "sku": "FURN_8888",
            "product": "Office Lamp",
            "quantity": 5,
            "unit": "Units",
            "tracking": "none",
        },
        {
            "line_id": 102,
            "sku": "FURN_9999",
            "product": "Drawer",
            "quantity": 2,
            "unit": "Units",
            "tracking": "lot",
        },
    ],
}
# logistics_sync_3pl/schemas/asn_v1.json: what the 945 example shipped
ASN = {
    "schema_version": 1,
    "asn_id": "3PLY/OUT/00007",
    "shipped_at": "2026-12-07T16:15:00Z",
    "ship_to": DECO_ADDICT,
    "references": {"order": "S00042", "customer_reference": "PO-7781"},
    "carrier": "UPS Ground",
    "tracking_ref": "1Z999AA10123456784",
    "lines": [
        {
            "sku": "FURN_8888",
            "product": "Office Lamp",
            "quantity": 3,
            "unit": "Units",
            "sscc": "354123450000000014",
        },
        {
            "sku": "FURN_9999",
            "product": "Drawer",
            "quantity": 2,
            "unit": "Units",
            "lot": "LOT-A",
            "sscc": "354123450000000021",
        },
    ],
    "packages": [
        {"sscc": "354123450000000014", "weight_kg": 4.5, "tracking_ref": None},
        {"sscc": "354123450000000021", "weight_kg": 12, "tracking_ref": None},
    ],
}
# logistics_sync_tms/static/schemas/tms_shipment_request_v1.json: version 2 of the release
RELEASE = {
    "schema_version": 1,
    "release_id": "WH/OUT/00042",
    "version": 2,
    "shipper": ACME,
    "consignee": DECO_ADDICT,
    "pickup_window": {"start": "2026-12-08T08:00:00Z", "end": "2026-12-08T12:00:00Z"},
    "delivery_window": {"start": "2026-12-10T08:00:00Z", "end": "2026-12-10T17:00:00Z"},
    "references": {"order": "S00042", "transfer": "WH/OUT/00042", "customer_reference": None},
    "lines": [
        {
            "sku": "FURN_8888",
            "product": "Office Lamp",
            "quantity": 5,
            "unit": "Units",
            "weight_kg": 12.5,
        }
    ],
    "total_weight_kg": 12.5,
}
EDIFACT_US, EDIFACT_CUSTOMER = "5412345000013", "4012345000009"


def _modules():
    sys.path.insert(0, str(ROOT / "tests"))
    from standalone import addon_module  # noqa: PLC0415 (Odoo-free import of the addon)

    return {
        name: addon_module(f"logistics_sync_edi.lib.{name}")
        for name in ("x12", "x12map", "x12ack", "maps_tpl", "maps_tms", "edifact", "advice824")
    }


def _x12(m, set_id, values, when):
    """The interchange as ``_edi_send_x12`` writes it for an endpoint whose EDI tab
    holds ``PARTNERS[set_id]`` (one set 0001, group and interchange ``CONTROL``)."""
    mapping = m["x12map"].load_map(EDI / "maps" / f"{set_id}_004010.json")
    body = m["x12map"].render_set(mapping, values)
    qualifier, partner = PARTNERS[set_id]
    group = m["x12"].OutGroup(
        mapping["functional_id"],
        US[1],
        partner,
        CONTROL,
        "004010",
        [m["x12"].OutSet(set_id, "0001", body)],
    )
    return m["x12"].build_interchange(
        sender_qualifier=US[0],
        sender_id=US[1],
        receiver_qualifier=qualifier,
        receiver_id=partner,
        control=CONTROL,
        groups=[group],
        version="00401",
        usage=USAGE,
        when=when,
    )


def _answer(m, interchange, set_id, functional_id, body, control, when):
    """The interchange answering the inbound ``interchange`` (to its sender) with one
    set ``set_id`` of ``body``, as ``_edi_send_x12`` writes it."""
    out = m["x12"].OutGroup(
        functional_id,
        US[1],
        interchange.sender_id,
        control,
        "004010",
        [m["x12"].OutSet(set_id, "0001", body)],
    )
    return m["x12"].build_interchange(
        sender_qualifier=US[0],
        sender_id=US[1],
        receiver_qualifier=interchange.sender_qualifier,
        receiver_id=interchange.sender_id,
        control=control,
        groups=[out],
        version="00401",
        usage=USAGE,
        when=when,
    )


def _answer_997(m, name, when):
    """The 997 Odoo writes for the inbound example ``name`` (every set accepted)."""
    (interchange,) = m["x12"].parse((INBOUND / name).read_bytes())
    (group,) = interchange.groups
    body = m["x12ack"].build_997(group, [(ts, []) for ts in group.sets])
    return _answer(m, interchange, "997", "FA", body, CONTROL + 1, when)


def _advice_824(m, name, when):
    """The 824 Odoo writes (when the endpoint's *Send 824 application advice* is on) for
    the inbound example ``name`` if its set named an unknown shipment: the exchange's
    error line (the 214 handler's message at B10-02) in a TED of a rejecting OTI."""
    (interchange,) = m["x12"].parse((INBOUND / name).read_bytes())
    (group,) = interchange.groups
    (transaction_set,) = group.sets
    b10 = next(s for s in transaction_set.body if s.tag == "B10")
    error = {
        "message": f"Unknown shipment {b10.get(2)!r} (carrier reference {b10.get(1)}): no "
        "transfer of Acme Manufacturing has this name, external reference or tracking "
        "number. Nothing of this set was applied; reprocess once the transfer exists.",
        "position": b10.position,
        "segment_id": "B10",
        "element": 2,
    }
    values = m["advice824"].advice_values(
        interchange.control, when, [m["advice824"].rejected_set(group, transaction_set, [error])]
    )
    mapping = m["x12map"].load_map(EDI / "maps" / "824_004010.json")
    body = m["x12map"].render_set(mapping, values)
    return _answer(m, interchange, "824", mapping["functional_id"], body, CONTROL + 2, when)


def render():
    """{file name: text} of the outbound examples."""
    m = _modules()
    desadv = m["edifact"].write_desadv(
        ASN, EDIFACT_US, EDIFACT_CUSTOMER, "DES000012", prepared=SHIPPED
    )
    return {
        "940_004010_shipping_order.x12": _x12(
            m, "940", m["maps_tpl"].shipping_order_values(SHIPPING_ORDER, "send"), ORDERED
        ),
        "856_004010_asn.x12": _x12(m, "856", m["maps_tpl"].asn_values(ASN), SHIPPED),
        "204_004010_load_tender.x12": _x12(
            m, "204", m["maps_tms"].tender_values(RELEASE, "send", scac="ODFL"), ORDERED
        ),
        "desadv_d96a.edi": desadv.decode("iso8859-1"),
        "997_004010_answer_to_214.x12": _answer_997(
            m, "214_004010_shipment_status.x12", datetime(2026, 12, 8, 11, 1)
        ),
        "824_004010_application_advice.x12": _advice_824(
            m, "214_004010_shipment_status.x12", datetime(2026, 12, 8, 11, 1)
        ),
    }


def main(argv):
    stale = []
    for name, text in render().items():
        path = EXAMPLES / name
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="iso8859-1") != text:
                stale.append(name)
            continue
        path.write_text(text, encoding="iso8859-1")
        print(f"wrote {path}")
    if stale:
        print(
            f"stale examples ({', '.join(stale)}): run python3 docs/edi_examples.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
