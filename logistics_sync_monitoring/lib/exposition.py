# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Prometheus text format of plain figures (with ``prometheus-client``)."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# name -> (kind, help, label names); every name is prefixed logistics_sync_
METRICS = {
    "events_received": ("counter", "Events received (KPI history).", ["endpoint"]),
    "events_applied": ("counter", "Events applied (KPI history).", ["endpoint"]),
    "events_superseded": ("counter", "Events superseded (KPI history).", ["endpoint"]),
    "event_retries": ("counter", "Processing retries (KPI history).", ["endpoint"]),
    "circuit_openings": ("counter", "Circuit breaker openings.", ["endpoint"]),
    "events_unfinished": ("gauge", "Events not applied yet, by state.", ["endpoint", "state"]),
    "dead_letter_oldest_age_seconds": ("gauge", "Age of the oldest dead letter (s).", ["endpoint"]),
    "failed_rate": ("gauge", "Failed message rate of the last computed hour (0-1).", ["endpoint"]),
    "latency_seconds": (
        "gauge",
        "Latency quantiles of the last computed hour (s); span: source = occurred->received, "
        "sync = received->applied, total = occurred->applied.",
        ["endpoint", "span", "quantile"],
    ),
    "booking_backlog": ("gauge", "Carrier bookings waiting.", ["endpoint"]),
    "release_backlog": ("gauge", "TMS releases without an answer.", ["endpoint"]),
    "circuit_state": ("gauge", "1 for the circuit breaker's current state.", ["endpoint", "state"]),
    "endpoint_active": ("gauge", "1 when the endpoint is active.", ["endpoint"]),
    "jobs": ("gauge", "queue_job jobs not done, by channel and state.", ["channel", "state"]),
    "alerts_open": ("gauge", "Open alerts.", ["endpoint"]),
    "incomplete_shipments": ("gauge", "Transfers failing a completeness check.", ["check"]),
}


class _Figures:
    def __init__(self, figures):
        self.figures = figures

    def collect(self):
        for name, (kind, help_, labels) in METRICS.items():
            family = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            metric = family(f"logistics_sync_{name}", help_, labels=labels)
            for values, value in self.figures.get(name, []):
                metric.add_metric([str(values[label]) for label in labels], float(value or 0))
            yield metric


def render(figures):
    """``figures``: {name: [(labels dict, value)]} -> the exposition text (bytes)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(figures))
    return generate_latest(registry)
