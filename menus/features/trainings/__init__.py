"""Trainings: sign-up and waiting list (USSD and SMS), attendance by staff SMS, follow-ups and their answers."""
