"""toolforge: an open engine for agentic tool-use training data (after Kimi K2, arXiv 2507.20534)."""

__version__ = "0.1.0"
