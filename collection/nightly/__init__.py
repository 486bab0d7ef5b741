"""The nightly chain: its ordered steps, each after the one before succeeded, and its record."""
