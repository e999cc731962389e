"""What tests share besides fixtures: settings, phones, the outbox, fake providers. Import as `tests.support.x`."""
