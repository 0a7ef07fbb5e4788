"""FodiFood: an open restaurant platform."""

__version__ = "0.1.0"
