"""The test suite: one folder per feature; shared helpers and fake providers in `tests.support`."""
