"""``python -m auditor``: the same as the ``ailiance-audit`` command."""

from auditor.cli import main_entry

main_entry()
