from . import events
