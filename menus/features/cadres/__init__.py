"""Cadres: becoming one (KADER, "Jadi kader"), the coordinators' decision with a mentor (SETUJU / TOLAK), promotion
(PROMOSI), and cases changing hands (ALIH). Its rules and records are `models.cadre` and `models.handover`; its
texts are in its own catalogs folder (`cadre.` keys)."""

from __future__ import annotations

from pathlib import Path

from menus.feature import Feature, fixed_sample
from menus.features.cadres import application, commands
from models.cadre import WHY_MAX, CadreApplication
from models.sending_policy import Purpose

WHY_SAMPLE = "Saya purna PMI Hong Kong, ingin membantu tetangga yang mau berangkat agar aman dan tidak tertipu. "
"""A realistic why, repeated up to the longest kept (for `menus check`)."""

RECORDS = Feature(
    name="cadres",
    models=(CadreApplication,),
    purposes=(Purpose("cadre_news", requested=True, waits_out_quiet_hours=True),),
    sms_prefixes=("cadre.sms.",),
    sms_samples={
        "id": fixed_sample("12345"),
        "mentor": fixed_sample("Siti Rahayu Pengurus Kaliwiro"),
        "village": fixed_sample("Tanjunganom Kidul Kaliwiro Lor"),
        "helps": fixed_sample("pendampingan kasus"),
        "why": fixed_sample((WHY_SAMPLE * 2)[:WHY_MAX]),
        "from": fixed_sample("Bu Koordinator Wonosobo Raya"),
        "holder": fixed_sample("Siti Rahayu Pengurus Kaliwiro"),
    },
    catalog_folder=Path(__file__).parent / "catalogs",
)
"""The cadres' records, message purpose, catalog folder and the samples of their SMS texts."""

FEATURES = (application.FEATURE, commands.FEATURE, RECORDS)
