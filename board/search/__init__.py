"""Full-text search within a course: one interface (backends.SearchBackend) with a PostgreSQL and an SQLite
implementation, a query language shared by both (query.py), and the ranked, access-checked results (queries.py)."""
