from . import events, queue_job
