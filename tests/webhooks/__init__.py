"""Inbound webhooks: Africa's Talking's and SMS Gateway for Android's callbacks, request limits."""
