"""Announcements (broadcasts) to a segment of registered people: the model is `models.broadcast`, the preview
`preview.py`, the send job and its sweep `jobs.py`; the CLI (`broadcast …`) and the console pages are in
`service/`. Its SMS are free texts typed by staff (purpose `broadcast`, the service's own); its console words are
`console.broadcast.*` keys in its catalogs folder."""

from __future__ import annotations

from pathlib import Path

from menus.feature import Feature, Sweep
from menus.features.broadcasts import jobs
from models.broadcast import Broadcast, BroadcastRecipient

FEATURE = Feature(
    name="broadcasts",
    models=(Broadcast, BroadcastRecipient),
    jobs=(jobs.send_broadcast,),
    sweeps=(Sweep("broadcasts", jobs.due_broadcasts),),
    catalog_folder=Path(__file__).parent / "catalogs",
)
"""Broadcasts: their tables, send job and sweep, and their console texts."""
