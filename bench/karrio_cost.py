#!/usr/bin/env python3
"""What karrio adds per booking, against our REST adapter, same run (no Odoo).

Starts the carrier simulator and the UPS and FedEx fakes (127.0.0.1, same shared
server code, no latency, no faults), then books N shipments through each client:

- ``RestCarrierClient`` on the simulator's ``/v1`` API (our own adapter: one
  POST, one label GET);
- ``KarrioCarrierClient`` (karrio's UPS / FedEx extension on our transport: one
  POST, the label comes with the answer; the OAuth token is cached).

Prints milliseconds per booking and the ratio karrio / REST.  Run:
``/work/main/.venv/bin/python bench/karrio_cost.py --bookings 200``.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "logistics_sync_carrier" / "simulator"))

import carrier_simulator  # noqa: E402
import karrio_fake  # noqa: E402
import standalone  # noqa: E402

adapters = standalone.addon_module("logistics_sync_carrier.adapters")
karrio_adapter = standalone.addon_module("logistics_sync_carrier.adapters.karrio_adapter")

SHIPPER = {
    "name": "Bench",
    "street": "Main 1",
    "city": "Berlin",
    "zip": "10115",
    "country": "DE",
    "phone": "1",
}
RECIPIENT = {
    "name": "Bob",
    "street": "Rue 1",
    "city": "Lyon",
    "zip": "69001",
    "country": "FR",
    "phone": "1",
}
SETTINGS = {
    "ups": {"client_id": "bench", "client_secret": "bench-secret", "account_number": "A1"},
    "fedex": {
        "api_key": "bench",
        "secret_key": "bench-secret",
        "account_number": "510087020",
        "track_api_key": "bench",
        "track_secret_key": "bench-secret",
    },
}
SERVICES = {"ups": "ups_standard", "fedex": "fedex_international_priority"}


def timed(count, book):
    book(-1)  # warm up (token, connection)
    started = time.perf_counter()
    for index in range(count):
        book(index)
    return (time.perf_counter() - started) * 1000 / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=200)
    args = parser.parse_args()
    processes = []
    try:
        sim, sim_url = carrier_simulator.spawn(
            [
                "--api-key",
                "bench-key",
                "--username",
                "b",
                "--password",
                "b",
                "--webhook-secret",
                "unused",
                "--webhook-interval",
                "3600",
                "--max-lifetime",
                "600",
            ]
        )
        processes.append(sim)
        rest = adapters.RestCarrierClient(
            sim_url,
            adapters.CarrierAuth(
                auth_type="api_key", api_key_header="X-API-Key", api_key="bench-key"
            ),
            allow_http_loopback=True,
        )

        def rest_book(index):
            result = rest.book(
                {
                    "reference": f"REST/{index}",
                    "service": "standard",
                    "weight_kg": 2.0,
                    "recipient": RECIPIENT,
                },
                f"rest-{index}-{time.monotonic_ns()}",
            )
            rest.label(result["shipment_id"])

        results = {"rest (simulator /v1)": timed(args.bookings, rest_book)}
        for carrier in ("ups", "fedex"):
            fake, url = karrio_fake.spawn(
                [
                    "--carrier",
                    carrier,
                    "--client-id",
                    "bench",
                    "--client-secret",
                    "bench-secret",
                    "--webhook-secret",
                    "unused",
                    "--max-lifetime",
                    "600",
                ]
            )
            processes.append(fake)
            client = karrio_adapter.KarrioCarrierClient(
                carrier,
                SETTINGS[carrier],
                base_url=url,
                allow_http_loopback=True,
                shipper=SHIPPER,
                token_scope="bench",  # noqa: S106 - a cache scope, not a secret
                default_service=SERVICES[carrier],
            )

            def karrio_book(index, client=client):
                result = client.book(
                    {"reference": f"K/{index}", "recipient": RECIPIENT, "weight_kg": 2.0}, "unused"
                )
                assert result["labels"], result

            results[f"karrio {carrier} (fake)"] = timed(args.bookings, karrio_book)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    base = results["rest (simulator /v1)"]
    print(f"{args.bookings} bookings each, no latency, no faults (ms per booking, label included)")
    for name, ms in results.items():
        print(f"  {name:24s} {ms:7.2f} ms   x{ms / base:.2f} of REST, +{ms - base:.2f} ms")


if __name__ == "__main__":
    main()
