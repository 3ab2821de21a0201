/** @odoo-module **/
// The overview: open an endpoint's dead letters from its card and replay one.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("logistics_sync_monitoring_overview", {
    steps: () => [
        {
            content: "The endpoint's card shows its dead letters: open them",
            trigger: ".o_kanban_record:contains('Tour carrier') button.o_mon_dead:contains('1')",
            run: "click",
        },
        {
            content: "Select the dead letter",
            trigger: ".o_list_view .o_data_row:contains('tour-dead') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_control_panel .o_cp_action_menus button",
            run: "click",
        },
        {
            content: "Replay it",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Replay')",
            run: "click",
        },
        {
            content: "Queued for replay",
            trigger: ".o_notification:contains('queued for replay')",
        },
    ],
});

// The spreadsheet dashboard opens and renders (its pivot and charts load).
registry.category("web_tour.tours").add("logistics_sync_monitoring_dashboard", {
    steps: () => [
        {
            content: "Open the Logistics Sync dashboard",
            trigger: ".o_search_panel_category_value[data-name='Logistics Sync health']",
            run: "click",
        },
        {
            content: "It renders, without a loading error",
            trigger:
                ".o_spreadsheet_dashboard_action:not(:has(.dashboard-loading-status)) .o_renderer:not(.o-sample-dashboard) .o-grid",
        },
    ],
});
