"""The villages a registration offers, stored the way an organiser would list them."""

from __future__ import annotations

from models import Village

VILLAGES = ("Tracap", "Kaliwiro", "Pesodongan")
"""The default list, in the order the menu shows it (option 1 is Tracap)."""


def seed_villages(*names: str) -> None:
    """Store `names` (else the default three) as the village list, in that order."""
    for position, name in enumerate(names or VILLAGES):
        Village.create(name=name, position=position)
