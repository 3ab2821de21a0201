# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.1.0: the HMAC-SHA256 scheme became the configurable HMAC scheme.

Endpoints set to ``hmac_sha256`` keep verifying the same signatures as ``hmac``
(its algorithm defaults to SHA-256, its encoding column is unchanged).
"""


def migrate(cr, version):
    cr.execute(
        "UPDATE logistics_endpoint SET signature_scheme = 'hmac'"
        " WHERE signature_scheme = 'hmac_sha256'"
    )
