"""Uploads behind Debian's nginx: Board (under gunicorn) checks who may see a file and answers with X-Accel-Redirect,
and nginx sends the bytes from an `internal` location, configured as README's "Uploads" shows.

nginx and gunicorn are started once for the module, on free loopback ports, with every file they write (pid, logs,
nginx's temporary folders) under a temporary folder; the system's nginx service is never touched. Everything a
person does goes through nginx: logging in, uploading with the page's CSRF token, publishing, fetching.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from board.extensions import db
from board.models import Role
from board.uploads.models import Upload
from tests import factories
from tests.conftest import free_port
from tests.web import Gunicorn, HttpVisitor

from .test_uploads import pdf

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ACCEL_PREFIX = "/_uploads/"

# The server block is README's (section "Uploads"), with this test's folders and ports; the rest keeps every file
# nginx writes under the test's folder. `master_process off` runs one process as whoever started it (no switch to
# www-data or nobody, which could not read pytest's private temporary folders).
NGINX_CONF = """\
daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    default_type application/octet-stream;

    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 80m;

        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}

        location /_uploads/ {{
            internal;
            alias {uploads}/;
            add_header X-Content-Type-Options nosniff always;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx in the foreground with a config file of the test's own, stopped with SIGQUIT (graceful)."""

    def __init__(self, root: Path, upstream: int, uploads: Path):
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        conf = root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=root, port=self.port, upstream=upstream, uploads=uploads))
        command = [NGINX, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")]
        checked = subprocess.run([*command, "-t"], check=False, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                urllib.request.urlopen(self.base + "/login", timeout=5).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError("nginx did not start:\n" + self.log())

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def noise(width: int, height: int) -> bytes:
    """A PNG that does not compress, so its size is about width × height × 3 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes


class Browser(HttpVisitor):
    """An HttpVisitor that also sends files (multipart, as board.js does) and reads answers as bytes."""

    def fetch(self, path: str, headers: dict | None = None) -> Reply:
        return self._send(urllib.request.Request(self.base + path, headers=headers or {}))

    def _send(self, request: urllib.request.Request) -> Reply:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read())

    def send_file(self, path: str, name: str, data: bytes, *, form_page: str = "/courses") -> Reply:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(form_page).text)
        assert token, f"no CSRF token on {form_page}"
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token.group(1)}\r\n'.encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode(),
                b"Content-Type: application/octet-stream\r\n\r\n",
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self._send(urllib.request.Request(self.base + path, data=body, headers=headers, method="POST"))


@pytest.fixture(scope="module")
def site(app, tmp_path_factory):
    """gunicorn (two workers, uploads in a folder of the module's own, handed to nginx) with nginx in front;
    yields (nginx, the uploads folder)."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"{NGINX} is missing: apt-get install nginx-light (.ci/run installs it)")
    root = tmp_path_factory.mktemp("nginx")
    uploads = root / "uploads"
    uploads.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "PORT")}
    env.update(
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app.config["SECRET_KEY"],
        SECURE_COOKIES="0",
        TRUSTED_PROXIES="1",
        QUEUE_URL="immediate",
        UPLOADS_URL=f"file://{uploads}",
        UPLOADS_ACCEL_PREFIX=ACCEL_PREFIX,
        PYTHONUNBUFFERED="1",
    )
    web = Gunicorn(env, root)
    try:
        proxy = Nginx(root, web.port, uploads)
        try:
            yield proxy, uploads
        finally:
            proxy.stop()
    finally:
        web.stop()
    assert "Traceback" not in web.log(), web.log()


def _signed_in(base: str, person) -> Browser:
    browser = Browser(base)
    assert browser.login(person.email, factories.PASSWORD).status == 302
    return browser


def _respond(browser: Browser, slug: str, reading_id: int, body: str) -> None:
    path = f"/c/{slug}/readings/{reading_id}/respond"
    sent = browser.post(path, {"title": "With an upload", "body": body, "publish": "1"})
    assert sent.status == 302, sent.text[:2000]


def test_nginx_sends_an_upload_only_after_boards_check(site):
    proxy, uploads = site
    course = factories.course(factories.user("Iris Instructor", email="iris@example.edu"))
    ada = factories.member(course, Role.STUDENT, "Ada Lovelace")
    bo = factories.member(course, Role.STUDENT, "Bo Chen")
    olga = factories.user("Olga Other", email="olga@example.edu")  # in no course of Ada's
    reading = factories.reading(course, title="The reading")
    slug, reading_id = course.slug, reading.id
    db.session.commit()

    adas = _signed_in(proxy.base, ada)
    # Past nginx's default 1 MB body limit: the documented server block raises it.
    picture = noise(800, 600)
    assert len(picture) > 1024 * 1024
    sent = adas.send_file(f"/c/{slug}/uploads", "holiday.png", picture)
    assert sent.status == 201, sent.body[:2000]
    image = json.loads(sent.body)
    url = image["url"]
    key = db.session.scalar(select(Upload.key).where(Upload.token == url.split("/")[-2]))
    stored = (uploads / key).read_bytes()

    bos, olgas = _signed_in(proxy.base, bo), _signed_in(proxy.base, olga)
    assert bos.fetch(url).status == 404, "nothing holds it yet: only its uploader sees it"
    assert adas.fetch(url).body == stored

    _respond(adas, slug, reading_id, f"Here it is.\n\n{image['markdown'].replace('![]', '![A red square]')}\n")
    got = bos.fetch(url)
    assert got.status == 200 and got.body == stored
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Cache-Control"] == "private, no-cache"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"] == "inline"
    assert "X-Accel-Redirect" not in got.headers
    # Board's other headers stay behind (README: add in the location what should be kept, as nosniff is).
    assert "Content-Security-Policy" not in got.headers and "X-Frame-Options" not in got.headers
    # nginx sent the file: its own ETag (mtime-size), not Board's (the content's sha256; README says why that is
    # fine), and it answers a revalidation and a range by itself.
    assert got.headers["ETag"] != f'"{key.rsplit("/", 1)[-1]}"' and "Last-Modified" in got.headers
    assert bos.fetch(url, {"If-None-Match": got.headers["ETag"]}).status == 304
    part = bos.fetch(url, {"Range": "bytes=0-9"})
    assert part.status == 206 and part.body == stored[:10]

    assert olgas.fetch(url).status == 404, "not in the course"
    assert Browser(proxy.base).fetch(url).status == 404, "not logged in"
    assert Browser(proxy.base).fetch(ACCEL_PREFIX + key).status == 404, "the internal location is not reachable"
    assert bos.fetch(ACCEL_PREFIX + key).status == 404

    # A file is a download, named for the file, with the type Board gave it (the stored file has no extension).
    document = adas.send_file(f"/c/{slug}/uploads", "Essay.pdf", pdf())
    assert document.status == 201, document.body[:2000]
    link = json.loads(document.body)
    _respond(adas, slug, reading_id, f"My essay: {link['markdown']}")
    got = bos.fetch(link["url"])
    assert got.status == 200 and got.body.startswith(b"%PDF")
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"] == "attachment; filename=Essay.pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
