/** @odoo-module **/
// One tour per user role: each opens the screens that role works in and checks that
// they render what the role needs (the tour fails on any error in the browser).
import { registry } from "@web/core/registry";

// Inventory / User (no Logistics Sync group): a delivery's Logistics tab.
registry.category("web_tour.tours").add("logistics_sync_role_inventory", {
    steps: () => [
        {
            content: "Open the Logistics tab of the delivery",
            trigger: ".o_notebook .nav-link:contains('Logistics')",
            run: "click",
        },
        {
            content: "The milestone the carrier reported",
            trigger: ".o_field_widget[name='logistics_milestone']:contains('In transit')",
        },
        {
            content: "Back to the transfers list",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:contains('Transfers')",
            run: "click",
        },
        {
            content: "The list of transfers",
            trigger: ".o_list_view .o_data_row",
        },
    ],
});

// Sales / User (no Logistics Sync group): the order's shipment status.
registry.category("web_tour.tours").add("logistics_sync_role_sales", {
    steps: () => [
        {
            content: "The order shows the status of its shipped delivery",
            trigger: ".o_form_view .o_field_widget[name='logistics_milestone']:contains('In transit')",
        },
        {
            content: "Back to the orders",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a",
            run: "click",
        },
        {
            content: "The orders list has the shipment status column",
            trigger: ".o_list_view th[data-name='logistics_milestone']",
        },
    ],
});

// Billing (no Logistics Sync group): freight variance, without sample data.
registry.category("web_tour.tours").add("logistics_sync_role_billing", {
    steps: () => [
        {
            content: "The freight variance opens, with no sample figures",
            trigger: ".o_action_manager:not(:has(.o_view_sample_data)) .o_pivot, .o_action_manager:not(:has(.o_view_sample_data)) .o_view_nocontent",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list opens",
            trigger: ".o_list_view",
        },
    ],
});

// Logistics Sync administrator: the overview, the KPI history and the settings.
registry.category("web_tour.tours").add("logistics_sync_role_admin", {
    steps: () => [
        {
            content: "The card shows the latency in milliseconds and a 7-day trend",
            trigger: ".o_kanban_record:contains('Role carrier') .o_mon_p95:contains('ms')",
        },
        {
            content: "The trend chart is drawn",
            trigger: ".o_kanban_record:contains('Role carrier') .o_mon_trend canvas",
        },
        {
            content: "Open the KPI history from the card",
            trigger: ".o_kanban_record:contains('Role carrier') button.o_mon_p95",
            run: "click",
        },
        {
            content: "The KPI history graph",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Short, written column headers",
            trigger: ".o_list_view th[data-name='sync_p95']:contains('Processing p95')",
        },
    ],
});

// Settings > Logistics Sync shows the job runner's channels line.
registry.category("web_tour.tours").add("logistics_sync_role_settings", {
    steps: () => [
        {
            content: "The channels line is filled in",
            trigger: ".o_field_widget[name='logistics_sync_runner_channels']:contains('root:')",
        },
    ],
});
