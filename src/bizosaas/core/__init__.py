"""Shared plumbing: settings, database, Redis, secrets, errors, logging, metrics."""
