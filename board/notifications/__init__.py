"""What is new for whom: read state (unread.py, read_models.py, read_routes.py), notifications, watching,
preferences and digests (models.py, services.py, routes.py)."""
