from __future__ import annotations

from collections import Counter


class Tally(Counter):
    """Rows a seeder created and found already there, for its report line."""

    def line(self, label: str) -> str:
        return f"  {label}: {self['created']} created, {self['existing']} existing"
