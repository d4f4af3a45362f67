"""Tests of the card stage (auditor.card)."""
