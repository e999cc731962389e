"""Numbered migrations: each module `NNNN_name.py` defines `up(migrator, db)`."""
