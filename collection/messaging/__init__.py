"""Messages to borrowers: templates, rendering with the opt-out line, channel backends, sending (docs/messages.md)."""
