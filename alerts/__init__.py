"""Alerts and response: rules, routing, escalation, response timers, the outbox and SMTP delivery.

The dashboard may import only `alerts.actions`; the scheduler runs `alerts.jobs`.
"""
