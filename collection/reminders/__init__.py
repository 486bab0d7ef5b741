"""Reminders before and after the due date: each product's schedule, queued set-based, sent in allowed hours."""
