"""Notifications: what is new for whom, in the app and by email (watching, preferences, digests)."""
