"""Guided set-up: one wizard engine (:mod:`.engine`) and the wizards declared on it."""
