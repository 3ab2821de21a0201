from . import (
    logistics_edi_code,
    logistics_edi_exchange,
    logistics_edi_exchange_214,
    logistics_edi_exchange_997,
    logistics_edi_exchange_error,
    logistics_edi_exchange_x12,
    logistics_endpoint,
)
