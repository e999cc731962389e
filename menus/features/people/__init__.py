"""People: registration (USSD and SMS, consent first, the welcome SMS) and changing one's profile afterwards. Its
records are `models.person` (people) and `models.staff` (villages); its texts the catalogs' `register.` and
`profile.` keys."""

from __future__ import annotations

from menus.features.people import profile, registration

FEATURES = (registration.FEATURE, profile.FEATURE)
