"""Shared kernel of yuqing: settings, storage, clock, calendar, privacy and errors.

Nothing in here imports another yuqing package; every stage builds on it.
"""
