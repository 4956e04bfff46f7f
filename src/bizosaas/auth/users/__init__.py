"""Tenants and users: management by admins, registration and password flows, password policy."""
