"""tradewatch: change monitoring for North Korea's foreign-trade policy."""

__version__ = "0.1.0"
