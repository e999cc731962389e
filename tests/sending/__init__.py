"""Sending SMS: the outbox and send jobs, the one sending policy, bill limits, the throttle, both gateways."""
