"""RQ jobs, the cron schedule, and SMS gateway adapters."""
