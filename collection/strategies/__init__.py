"""Segments, strategies and their steps, the action registry, champion/challenger."""
