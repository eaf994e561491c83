"""Mail delivery: the outbox (notifications table) and the SMTP transport."""
