"""Formats stage: one module per output format behind one registry (see base.py)."""
