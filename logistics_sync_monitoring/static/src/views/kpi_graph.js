/** @odoo-module **/
// The KPI history's graph: Odoo's own graph view, with its axes titled (the measure
// on the vertical axis, the first grouping on the horizontal one); Odoo's renderer
// fills the vertical title but does not display it.
import {GraphRenderer} from "@web/views/graph/graph_renderer";
import {graphView} from "@web/views/graph/graph_view";
import {registry} from "@web/core/registry";

export class LogisticsKpiGraphRenderer extends GraphRenderer {
    getScaleOptions() {
        const scales = super.getScaleOptions();
        if (!scales.x || !scales.y) {
            return scales; // a pie has no axes
        }
        const {fields, groupBy} = this.model.metaData;
        scales.y.title = {...scales.y.title, display: true};
        const first = groupBy[0];
        if (first) {
            scales.x.title = {
                display: true,
                text: fields[first.fieldName]?.string || first.fieldName,
                color: scales.y.title.color,
            };
        }
        return scales;
    }
}

registry.category("views").add("logistics_sync_kpi_graph", {
    ...graphView,
    Renderer: LogisticsKpiGraphRenderer,
});
