"""exohop: a terminal console for hopping between customer Exchange Online tenants."""

__version__ = "0.1.0"
