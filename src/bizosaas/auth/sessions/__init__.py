"""Signing in and out: sessions, tokens and their keys, cookies, login throttling."""
