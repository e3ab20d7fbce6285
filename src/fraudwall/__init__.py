"""fraudwall: an open platform to fight telecom and online fraud together."""

__version__ = "0.1.0"
