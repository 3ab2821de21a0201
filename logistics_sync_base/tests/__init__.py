from . import test_lib
from . import test_webhook
from . import test_processing
from . import test_dead_letters
from . import test_security
