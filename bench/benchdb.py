# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The benchmark scripts' own PostgreSQL connection to the database their Odoo serves
(for setup and for counting outside Odoo), from that Odoo's configuration file."""

import configparser

import psycopg2


def connect(conf_path):
    """An autocommit connection to ``db_name`` of the Odoo configuration ``conf_path``."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path)
    options = parser["options"]
    conn = psycopg2.connect(
        dbname=options["db_name"],
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
        password=options.get("db_password") or None,
    )
    conn.autocommit = True
    return conn
