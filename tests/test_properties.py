# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Hypothesis properties of the pure parts (no Odoo): ordering, idempotency, mapping,
the canonical checks.

- ordering: any permutation of a shipment's events ends at the in-order stream's
  final milestone (``milestones.decide``, what processing applies);
- applying twice equals applying once (every event delivered again, anywhere);
- mapping and validation never raise on any JSON a sender may post: they answer
  errors naming the event index and field, or canonical events the schema accepts;
- a TMS shipment request: the compiled check (base's fastschema) says yes to the
  requests the schema accepts and never to one jsonschema refuses; the answers stay
  jsonschema's.
"""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from standalone import addon_module

milestones = addon_module("logistics_sync_base.lib.milestones")
mapping = addon_module("logistics_sync_base.lib.mapping")
canonical = addon_module("logistics_sync_base.lib.canonical")
tms_release = addon_module("logistics_sync_tms.lib.release")

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _apply(stream, dispatched=True):
    """The shipment's position after ``stream``, as processing moves it: the current
    progress milestone, and the side flags recorded (a set: a repeat adds nothing)."""
    current, flags, waiting = None, set(), []
    for event in stream:
        verdict = milestones.decide(current, event, dispatched)
        if verdict == "wait":
            waiting.append(event)
        elif verdict == "apply":
            if milestones.moves_shipment(event["milestone"]):
                current = event
            else:
                flags.add(event["event_id"])
    return (current and current["event_id"]), frozenset(flags), len(waiting)


@st.composite
def shipment_stream(draw):
    """A shipment's events in the order they happened at the source: progress
    milestones in order (a milestone may repeat, e.g. several in_transit scans), side
    milestones between them; increasing ``sequence`` and ``occurred_at``."""
    progress = draw(
        st.lists(st.sampled_from(milestones.PROGRESS), min_size=1, max_size=12).map(
            lambda names: sorted(names, key=milestones.rank)
        )
    )
    names = []
    for name in progress:
        names.extend(draw(st.lists(st.sampled_from(milestones.SIDE), max_size=2)))
        names.append(name)
    if draw(st.booleans()):
        names.append(draw(st.sampled_from(milestones.TERMINAL)))
    with_sequence = draw(st.booleans())
    events = []
    for index, name in enumerate(names):
        event = {
            "event_id": f"e{index}",
            "milestone": name,
            "occurred_at": (T0 + timedelta(minutes=index)).isoformat(),
        }
        if with_sequence:
            event["sequence"] = 1_700_000_000_000 + index
        events.append(event)
    return events


@PROFILE
@given(shipment_stream(), st.randoms(use_true_random=False))
def test_any_permutation_ends_as_the_in_order_stream(events, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert _apply(shuffled) == _apply(events)
    # the final milestone is the highest progress one the source sent
    final = _apply(events)[0]
    moving = [event for event in events if milestones.moves_shipment(event["milestone"])]
    assert (
        final
        == max(moving, key=lambda e: (milestones.rank(e["milestone"]), e["occurred_at"]))[
            "event_id"
        ]
    )


@PROFILE
@given(shipment_stream(), st.randoms(use_true_random=False), st.data())
def test_applying_twice_equals_applying_once(events, rnd, data):
    repeated = data.draw(st.lists(st.sampled_from(events), min_size=1, max_size=len(events) * 2))
    stream = events + repeated
    rnd.shuffle(stream)
    assert _apply(stream)[:2] == _apply(events)[:2]


@PROFILE
@given(shipment_stream())
def test_an_event_again_never_moves_the_shipment(events):
    for event in events:
        if milestones.moves_shipment(event["milestone"]):
            assert milestones.decide(event, dict(event), True) == "superseded"


@PROFILE
@given(shipment_stream(), st.randoms(use_true_random=False))
def test_deliveries_wait_for_the_dispatch_whatever_the_order(events, rnd):
    rnd.shuffle(events)
    needs = sum(event["milestone"] in milestones.NEEDS_DISPATCH for event in events)
    assert _apply(events, dispatched=False)[2] == needs


# ------------------------------------------------------------------ mapping / schema
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)
STATUS_MAP = {"PU": "picked_up", "IT": "in_transit", "DL": "delivered"}
MAPPING = mapping.build(
    {
        "event_id": "id",
        "shipment_ref": "ref",
        "status": "status.code",
        "occurred_at": "at",
        "location.country": "where.country",
    },
    STATUS_MAP,
)
BATCH_MAPPING = mapping.build(
    {"shipment_ref": "ref", "status": "status.code", "occurred_at": "at"},
    STATUS_MAP,
    events_path="data",
    event_id_fields=("shipment_ref", "milestone", "occurred_at"),
)


def _errors_are_located(errors, count):
    for error in errors:
        assert set(error) >= {"index", "field", "path", "message"}
        assert 0 <= error["index"] < max(count, 1)  # an event's, or a body's in a batch


@settings(max_examples=200, deadline=None)
@given(JSON | st.lists(JSON, max_size=4) | st.fixed_dictionaries({"data": JSON}))
def test_mapping_never_raises_on_any_json(body):
    for compiled in (MAPPING, BATCH_MAPPING):
        events, errors, originals = mapping.map_body(compiled, body)
        assert len(events) == len(originals)
        _errors_are_located(errors, max(len(events), len(body) if isinstance(body, list) else 1))


@st.composite
def sender_item(draw):
    return {
        "id": draw(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=30)),
        "ref": draw(st.text(alphabet="ABCDEFGHIJ/0123456789", min_size=1, max_size=20)),
        "status": {"code": draw(st.sampled_from(sorted(STATUS_MAP)))},
        "at": draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        ).isoformat(),
        "where": {"country": draw(st.sampled_from(["FR", "de", "CH", "usa"]))},
        "extra": draw(JSON),
    }


@PROFILE
@given(st.lists(sender_item(), min_size=1, max_size=5))
def test_mapped_items_are_canonical_events(items):
    events, errors, originals = mapping.map_body(MAPPING, items)
    assert errors == []
    assert originals == items
    assert canonical.validate_events(events) == []
    for event, item in zip(events, items, strict=True):
        assert event["event_id"] == item["id"]
        assert event["milestone"] == STATUS_MAP[item["status"]["code"]]
        assert event["source_status"] == item["status"]["code"]
        assert len(event["location"]["country"]) == 2
        assert "extra" not in event  # unknown fields never become canonical fields
        values = canonical.to_values(event)
        assert "extra" not in json.dumps(values, default=str)


@PROFILE
@given(st.lists(sender_item(), min_size=1, max_size=5))
def test_derived_event_ids_are_stable(items):
    body = {"data": items}
    first, errors, _ = mapping.map_body(BATCH_MAPPING, body)
    again, _, _ = mapping.map_body(BATCH_MAPPING, json.loads(json.dumps(body)))
    assert errors == []
    assert [e["event_id"] for e in first] == [e["event_id"] for e in again]


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON, min_size=1, max_size=3) | st.dictionaries(st.text(max_size=12), JSON))
def test_validation_never_raises_and_names_index_and_field(body):
    items = body if isinstance(body, list) else [body]
    errors = canonical.validate_events(items)
    for error in errors:
        assert 0 <= error["index"] < len(items)
        assert "field" in error and error["message"]


TMS_REQUEST = tms_release.inline_refs(tms_release.REQUEST_SCHEMA)
BROKEN_VALUES = (
    JSON
    | st.just(True)
    | st.just("")
    | st.just(0)
    | st.just(-1.5)
    | st.just("2026-02-30T10:00:00Z")
    | st.just("2026-01-01 10:00")
    | st.just("fr")
    | st.just({})
    | st.just([])
)


def _break(doc, draw):
    """``doc`` with one value replaced, or one key removed, anywhere in it."""
    paths, todo = [], [((), doc)]
    while todo:
        path, node = todo.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in children:
            paths.append(path + (key,))
            if isinstance(value, dict | list):
                todo.append((path + (key,), value))
    if not paths:
        return doc
    *parents, last = draw(st.sampled_from(sorted(paths, key=str)))
    node = doc
    for key in parents:
        node = node[key]
    if isinstance(node, dict) and draw(st.booleans()):
        del node[last]
    else:
        node[last] = draw(BROKEN_VALUES)
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_schema(TMS_REQUEST), st.data())
def test_compiled_request_check_answers_as_jsonschema(doc, data):
    assert tms_release.is_valid_request(doc)
    assert tms_release._FAST(doc), "the compiled check says yes to a valid request"
    assert tms_release.validate_request(doc) == []
    broken = _break(json.loads(json.dumps(doc)), data.draw)
    expected = tms_release._VALIDATOR.is_valid(broken)
    # only ever a yes jsonschema agrees with (a no goes to jsonschema)
    assert not tms_release._FAST(broken) or expected, broken
    assert tms_release.is_valid_request(broken) == expected
    assert (tms_release.validate_request(broken) == []) == expected
