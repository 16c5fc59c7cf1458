"""assess: 等保2.0 (GB/T 22239-2019) level-3 self-assessment toolkit."""

__version__ = "0.1.0"
