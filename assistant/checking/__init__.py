"""Checking: every cited claim of an answer is checked against the sentence it cites."""
