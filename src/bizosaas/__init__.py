"""BizOSaaS: multi-tenant platform core."""

__version__ = "0.1.0"
