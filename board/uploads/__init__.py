"""Pictures and files in posts and comments: accepted (processing.py), stored behind one interface on local disk or
S3-compatible storage (storage.py), referenced from Markdown and served only to those who may see a post that holds
them (services.py, routes.py), counted against quotas, and cleaned up when nothing refers to them (tasks.py)."""
