"""Menus and keywords: the pure engine, `menus check`, GSM-7 transliteration, staff commands' parser."""
