"""Exceptions of the canonical pipeline shared by the models of every addon."""


class PermanentEventError(Exception):
    """Processing can never succeed for this event as received: it goes to dead letters."""
