"""Local fakes of the SMS providers' HTTP APIs, served on loopback and scriptable by tests."""
