# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Helpers for the tests that run everyday flows as users in no Logistics Sync group.

Installing the suite must never take a right away from anyone: these tests use
``new_test_user`` with Odoo's own groups only, and open views the way the web
client does (``get_views``, then ``web_read`` / ``web_search_read`` with the
fields the view the user gets asks for), so a field the user may not read
fails the test as it would fail in the browser.
"""

from lxml import etree

from odoo.tests import new_test_user

LOGISTICS_GROUPS = (
    "logistics_sync_base.group_logistics_sync_user",
    "logistics_sync_base.group_logistics_sync_manager",
)


def plain_user(testcase, login, groups):
    """A user with Odoo's ``groups`` only (comma separated xml ids), in no
    Logistics Sync group, in the test's company."""
    user = new_test_user(
        testcase.env,
        login=login,
        groups=groups,
        company_id=testcase.env.company.id,
        company_ids=[testcase.env.company.id],
    )
    in_ours = [group for group in LOGISTICS_GROUPS if user.has_group(group)]
    if in_ours:  # called from setUpClass too: no assert* method there
        raise AssertionError(f"{login} must be in no Logistics Sync group, is in {in_ours}")
    return user


def _fields_spec(node, model_name, models):
    """What the web client asks ``web_read`` for: every field of the arch at the
    level of ``node``; many2one and x2many without a subview read their
    display name, x2many with a subview read the subview's fields."""
    level = int(node.xpath("count(ancestor-or-self::field)"))
    fields_info = models.get(model_name, {}).get("fields", {})
    spec = {}
    for field_node in node.xpath(f".//field[count(ancestor::field) = {level}]"):
        name = field_node.get("name")
        info = fields_info.get(name, {})
        ftype = info.get("type")
        if ftype == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif ftype in ("one2many", "many2many"):
            if field_node.xpath("./list|./form|./kanban"):
                spec[name] = {"fields": _fields_spec(field_node, info["relation"], models)}
            else:
                spec[name] = {"fields": {"display_name": {}}}
        else:
            spec.setdefault(name, {})
    return spec


def view_spec(model, view_type, view_id=False):
    """``(arch, spec)`` of the view ``model``'s user gets."""
    views = model.get_views([(view_id, view_type)])
    arch = etree.fromstring(views["views"][view_type]["arch"])  # noqa: S320 - Odoo's own view
    return arch, _fields_spec(arch, model._name, views["models"])


def open_form(records, view_id=False):
    """Read ``records`` as the form view does; the values the user sees, per record."""
    arch, spec = view_spec(records.browse(), "form", view_id)
    return arch, records.web_read(spec)


def open_list(model, domain, view_id=False):
    """Search and read as the list view does; the rows the user sees."""
    arch, spec = view_spec(model, "list", view_id)
    return arch, model.web_search_read(domain, spec, limit=80)["records"]


def assert_rights_kept(testcase, user, models_ops):
    """``models_ops``: {model: operations the user must still have}.  Record rules
    only ever restrict, so also check that none of ours applies to a model that
    is not ours."""
    for model, operations in models_ops.items():
        for operation in operations:
            testcase.assertTrue(
                testcase.env[model].with_user(user).has_access(operation),
                f"{user.login} lost {operation} on {model}",
            )
    ours = testcase.env["ir.model.data"].search(
        [("module", "=like", "logistics_sync%"), ("model", "=", "ir.rule")]
    )
    rules = testcase.env["ir.rule"].browse(ours.mapped("res_id"))
    foreign = rules.filtered(lambda r: not r.model_id.model.startswith("logistics."))
    testcase.assertFalse(foreign, "a Logistics Sync record rule restricts a model of Odoo")
