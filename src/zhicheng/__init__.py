"""zhicheng (智城): an open-source city data platform (城市大脑)."""

__version__ = "0.1.0"
