/** @odoo-module **/
// The customer, logged in to the portal, follows a shipment on the sale order page.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("logistics_sync_notify_portal", {
    steps: () => [
        {
            content: "The order lists its shipment, delivered",
            trigger: "#logistics_shipments .o_logistics_shipment .o_logistics_milestone:contains('Delivered')",
        },
        {
            content: "Its timeline shows where it went",
            trigger: "#logistics_shipments .o_logistics_timeline li:contains('In transit'):contains('Lyon')",
        },
        {
            content: "The tracking number is there",
            trigger: "#logistics_shipments .o_logistics_tracking:contains('TRKPORTAL')",
        },
        {
            content: "The proof of delivery can be downloaded",
            trigger: "#logistics_shipments a.o_logistics_pod",
        },
    ],
});
