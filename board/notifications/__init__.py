"""What is new for whom: read state (unread.py, read_models.py, read_routes.py) and notifications."""
