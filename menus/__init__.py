"""Flows as data, a pure engine, the SMS keyword router and the message catalogs."""
