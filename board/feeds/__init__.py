"""Private Atom feeds: a per-person secret link to what that person may see in a course, a reading or a thread."""
