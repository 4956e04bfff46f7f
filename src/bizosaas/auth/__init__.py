"""Unified authentication: tenants, users, roles, tokens, sessions."""
