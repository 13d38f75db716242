"""ltc-assess: long-term-care needs assessment workstation."""

__version__ = "0.1.0"
