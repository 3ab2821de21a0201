from . import (
    test_edi_docs_edifact,
    test_edi_docs_freight,
    test_edi_docs_tms,
    test_edi_docs_tpl,
    test_x12_824,
    test_x12_files,
    test_x12_inbound,
    test_x12_outbound,
)
