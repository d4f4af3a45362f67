"""Hostile-input corpus and its tests: crashes, hangs, memory, injection."""
