# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Safe XML for the SOAP adapter: what is refused before and while parsing.

An answer declaring a DTD in its prolog is refused before any parser sees it;
zeep parses the rest with DTDs, entities and external references forbidden and
no huge trees, so XXE, billion laughs and external DTD fetches all end in a
permanent error whose message starts with ``Unsafe XML refused:``.
"""

import re

import zeep
import zeep.exceptions
from lxml import etree

# A document type declaration in the prolog (after the XML declaration and comments).
DOCTYPE_PROLOG = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<!DOCTYPE", re.I | re.S)


def declares_doctype(content):
    return bool(DOCTYPE_PROLOG.match(content or b""))


def safe_settings():
    """zeep settings that refuse DTDs, entities, external references, huge trees."""
    return zeep.Settings(
        strict=True,
        xml_huge_tree=False,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )


UNSAFE_XML_ERRORS = (
    zeep.exceptions.DTDForbidden,
    zeep.exceptions.EntitiesForbidden,
    zeep.exceptions.ExternalReferenceForbidden,
    etree.LxmlError,
)


def unsafe_xml_reason(exc):
    """Why zeep or lxml refused an answer (one of ``UNSAFE_XML_ERRORS``), as a phrase."""
    if isinstance(exc, zeep.exceptions.DTDForbidden):
        return "declares a DTD"
    if isinstance(exc, zeep.exceptions.EntitiesForbidden):
        return "declares entities"
    if isinstance(exc, zeep.exceptions.ExternalReferenceForbidden):
        return "refers to an external resource"
    if isinstance(exc, etree.LxmlError):
        return f"could not be parsed safely ({type(exc).__name__})"
    return "could not be parsed safely"


def transport_error_is_unsafe(exc):
    """A zeep ``TransportError`` whose content carries a DTD or whose message names entities."""
    content = exc.content or b""
    return b"<!DOCTYPE" in content.upper() or "entity" in str(exc.message).lower()
