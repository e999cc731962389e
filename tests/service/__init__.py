"""The service as deployed: CLI, config, logs, faults, `make run`, embedded Redis, simulator, migrations, cron."""
