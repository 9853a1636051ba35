"""Where uploaded bytes live: one small interface (Storage) with a local-disk and an S3 implementation behind it,
chosen by configuration (UPLOADS_URL).

Keys are content-addressed (content_key): the same bytes always have the same key, so writing a key that exists is
skipped, and a file never changes once written. `serve` comes after the caller's permission check; local files are
streamed by the app or handed to nginx (X-Accel-Redirect), S3 objects are fetched by the browser from a presigned URL
that lives UPLOADS_URL_SECONDS.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Response, current_app, redirect, send_file
from werkzeug.exceptions import NotFound
from werkzeug.http import dump_options_header

_EXTENSION = "board_uploads_storage"
_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")
# The app's check comes first, so a file must not outlive it in any cache: revalidate every time (a 304 is cheap).
LOCAL_CACHE_CONTROL = "private, no-cache"
# A redirect to a presigned URL must not be kept past the URL's life.
REDIRECT_CACHE_CONTROL = "private, no-store"


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`; a key that exists already holds these bytes, so it is left as it is."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`; KeyError when there are none."""

    def exists(self, key: str) -> bool:
        """Whether `key` holds bytes."""

    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is fine."""

    def serve(self, key: str, *, content_type: str, etag: str, download_name: str | None) -> Response:
        """The response that gives the viewer the bytes (inline, or as a download named `download_name`); the
        caller has checked the viewer may see them."""

    def image_origin(self) -> str | None:
        """The origin the browser fetches the bytes from, for the CSP's img-src; None when it is the app's own."""


def content_key(data: bytes) -> str:
    """The key for these bytes: their sha256 in hex, under a folder named by its first two characters."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest}"


def content_disposition(download_name: str | None) -> str:
    """`attachment` with the name (RFC 6266; `filename*` per RFC 5987 when it is not ASCII, as werkzeug's
    send_file writes it), or `inline` without one."""
    if download_name is None:
        return "inline"
    name = "".join(" " if unicodedata.category(c) == "Cc" else c for c in download_name)  # no header breaks
    if name.isascii():
        return dump_options_header("attachment", {"filename": name})
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return dump_options_header(
        "attachment", {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")}
    )


def _checked(key: str) -> str:
    """`key` itself, once it is known to have content_key's shape (so it can name no other file or object)."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a content key: {key!r}")
    return key


class LocalStorage:
    """Files in one folder (`root/ab/abcdef…`), each written to a temporary name and renamed into place, so a reader
    never sees half a file. With `accel_prefix`, `serve` leaves sending the file to nginx."""

    def __init__(self, root: Path, accel_prefix: str = ""):
        self.root = root
        self.accel_prefix = accel_prefix

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key, data, content_type):
        path = self._path(key)
        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        # Mode 0o666 less the umask, as for any new file: with accel, nginx's user must be able to read it.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with open(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def get(self, key):
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key):
        return self._path(key).is_file()

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def serve(self, key, *, content_type, etag, download_name):
        path = self._path(key)
        if self.accel_prefix:
            if not path.is_file():
                raise NotFound()
            response = Response(b"", content_type=content_type)
            response.headers["X-Accel-Redirect"] = self.accel_prefix + key
        else:
            try:
                response = send_file(path, mimetype=content_type, conditional=True, etag=etag, max_age=0)
            except FileNotFoundError:
                raise NotFound() from None
            response.headers.pop("Expires", None)  # max_age=0 set one
        response.set_etag(etag)
        response.headers["Cache-Control"] = LOCAL_CACHE_CONTROL
        response.headers["Content-Disposition"] = content_disposition(download_name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def image_origin(self):
        return None


class S3Storage:
    """Objects in one bucket of an S3-compatible store, under an optional prefix; served by redirecting the browser
    to a presigned GET URL. The client is made on first use, so building one touches no network."""

    def __init__(
        self, bucket: str, prefix: str = "", *, endpoint: str = "", region: str = "us-east-1", url_seconds: int = 60
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self.region = region
        self.url_seconds = url_seconds

    def _client_with(self, **config):
        # Path-style for a named endpoint (MinIO, Ceph, moto: no bucket subdomains); AWS's own choice otherwise.
        addressing = {"addressing_style": "path"} if self.endpoint else {}
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint or None,
            region_name=self.region,
            config=Config(s3=addressing, **config),
        )

    @cached_property
    def client(self):
        return self._client_with(signature_version="s3v4")

    def _name(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key, data, content_type):
        if self.exists(key):
            return
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type)

    def get(self, key):
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None
        return reply["Body"].read()

    def exists(self, key):
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            # Without s3:ListBucket, a missing key is a 403, not a 404: that is a setup error, not "missing".
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def presigned_url(self, key: str, *, content_type: str, download_name: str | None) -> str:
        """A URL that GETs the object for url_seconds, answered with these headers."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._name(key),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition(download_name),
                "ResponseCacheControl": f"private, max-age={self.url_seconds}",
            },
            ExpiresIn=self.url_seconds,
        )

    def serve(self, key, *, content_type, etag, download_name):
        response = redirect(self.presigned_url(key, content_type=content_type, download_name=download_name), 302)
        response.headers["Cache-Control"] = REDIRECT_CACHE_CONTROL
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def image_origin(self):
        return self._origin

    @cached_property
    def _origin(self) -> str:
        # botocore decides the host (bucket subdomain or not, regional or global endpoint): ask it, unsigned, so
        # this needs no credentials and no network.
        url = self._client_with(signature_version=UNSIGNED).generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._name(content_key(b""))}
        )
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"


def from_config(config: Mapping, instance_path: Path) -> Storage:
    """The backend UPLOADS_URL names: "" (instance/uploads), file:///absolute/folder, or s3://bucket/prefix."""
    url = config.get("UPLOADS_URL", "")
    parts = urlsplit(url)
    if not url:
        return LocalStorage(Path(instance_path) / "uploads", config.get("UPLOADS_ACCEL_PREFIX", ""))
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise ValueError(f"UPLOADS_URL {url!r}: a file URL names an absolute folder, file:///srv/uploads")
        return LocalStorage(Path(parts.path), config.get("UPLOADS_ACCEL_PREFIX", ""))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"UPLOADS_URL {url!r}: an S3 URL names its bucket, s3://bucket/prefix")
        return S3Storage(
            parts.netloc,
            parts.path,
            endpoint=config.get("UPLOADS_S3_ENDPOINT", ""),
            region=config.get("UPLOADS_S3_REGION", "us-east-1"),
            url_seconds=int(config.get("UPLOADS_URL_SECONDS", 60)),
        )
    raise ValueError(f'UPLOADS_URL {url!r}: expected "", file:///folder or s3://bucket/prefix')


def get_storage() -> Storage:
    """The current app's storage, built from its config on first use and kept for the app's life."""
    extensions = current_app.extensions
    if _EXTENSION not in extensions:
        extensions.setdefault(_EXTENSION, from_config(current_app.config, Path(current_app.instance_path)))
    return extensions[_EXTENSION]
