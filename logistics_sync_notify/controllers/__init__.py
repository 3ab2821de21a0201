from . import optout, portal
