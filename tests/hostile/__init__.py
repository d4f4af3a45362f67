"""Hostile-input corpus and its tests (issue 7): crashes, hangs, memory, injection."""
