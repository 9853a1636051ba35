"""URL helpers shared by the areas."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """`target` if it stays on this site (a path, not another host), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
