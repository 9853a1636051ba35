"""A real LTI 1.3 platform for the tests and the demo (`flask --app board lti demo-platform`): PyPI's lti1p3platform
(an optional dependency: the `test` and `lti-demo` extras), subclassed and served by a small Flask app on a loopback
port in a thread. It initiates logins, answers the OIDC authentication request with a signed id_token,
and publishes its keys (rotatable, with the Cache-Control header a test chooses).

A test describes the next launch with `platform.launch_spec(...)`, which returns the URL an LMS page would send
the browser to (Board's /lti/login with iss, login_hint, lti_message_hint, target_link_uri…). The spec can bend the
id_token for the refusal tests: extra or removed claims, a key the platform does not publish, an expiry in the past.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from html import escape, unescape
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from werkzeug.serving import WSGIRequestHandler, make_server

CLIENT_ID = "board-client"
DEPLOYMENT_ID = "deployment-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = [ROLE + "Instructor"]
LEARNER = [ROLE + "Learner"]
TEACHING_ASSISTANT = [ROLE + "Instructor", ROLE[:-1] + "/Instructor#TeachingAssistant"]
MENTOR = [ROLE + "Mentor"]
DEMO_PEOPLE = {
    "instructor": {"sub": "demo-instructor", "roles": INSTRUCTOR, "name": "Ada Instructor", "email": "ada@lms.example"},
    "student": {"sub": "demo-student", "roles": LEARNER, "name": "Grace Student", "email": "grace@lms.example"},
}


def new_key() -> tuple[str, str]:
    """A fresh RSA key: (kid, private PEM)."""
    jwk = JWK.generate(kty="RSA", size=2048)
    return jwk.thumbprint(), jwk.export_to_pem(private_key=True, password=None).decode()


@dataclass
class LaunchSpec:
    """One launch the platform will make when the browser comes back with its lti_message_hint."""

    sub: str
    roles: list[str]
    name: str | None = None
    email: str | None = None
    context_id: str | None = "course-101"
    context_title: str = "History 101"
    extra_claims: dict = field(default_factory=dict)
    remove_claims: tuple = ()
    expires_in: int = 300
    sign_with: tuple[str, str] | None = None  # (kid, private PEM) instead of the platform's current key
    deep_link: bool = False  # a deep linking request: the tool chooses content for a new link
    resource_link_id: str = "link-1"  # the LMS link launched through


class _Registration(Registration):
    """The platform's registration of Board, signing with whichever key the platform currently uses."""

    def __init__(self, platform: DemoPlatform):
        self.platform = platform

    def get_kid(self):
        return self.platform.signing[0]

    def get_platform_private_key(self):
        return self.platform.signing[1]

    def get_platform_public_key(self):
        return JWK.from_pem(self.platform.signing[1].encode()).export_to_pem().decode()


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs):
        self.platform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs):
        platform = self.platform
        return (
            _Registration(platform)
            .set_iss(platform.issuer)
            .set_client_id(platform.client_id)
            .set_deployment_id(platform.deployment_id)
            .set_oidc_login_url(platform.tool_url + "/lti/login")
            .set_launch_url(platform.tool_url + "/lti/launch")
            .set_deeplink_launch_url(platform.tool_url + "/lti/launch")
            .set_tool_key_set_url(platform.tool_url + "/lti/jwks.json")
        )


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    """The answer to Board's authentication request: the launch described by the spec its hint names."""

    def __init__(self, request_data: dict, config: _Config, spec: LaunchSpec):
        super().__init__(None, config)
        self.request_data = request_data
        self.spec = spec
        self.platform = config.platform
        self.platform_url = config.platform.url

    def get_preflight_response(self):
        return self.request_data

    def prepare_launch(self, preflight_response):
        spec = self.spec
        self.set_user_data(spec.sub, spec.roles, full_name=spec.name, email_address=spec.email)
        self.set_resource_link_claim(spec.resource_link_id, title="Board")
        if spec.resource_link_id in self.platform.link_members:  # whoever launched through a link can open it
            self.platform.link_members[spec.resource_link_id].add(spec.sub)
        if spec.context_id:
            self.set_launch_context_claim(spec.context_id, context_title=spec.context_title, context_label="HIST101")
            self.platform.enrol(spec.context_id, spec.sub, spec.roles, name=spec.name, email=spec.email)
            base = f"{self.platform_url}/contexts/{spec.context_id}"
            self.set_ags(base + "/lineitems")
            self.set_nrps(base + "/memberships")
        if spec.deep_link:
            self.set_dl(self.platform_url + "/deep-link-return", title="Board", accept_types={"ltiResourceLink"})
        self.set_id_token_expiration(spec.expires_in)
        self.set_extra_claims(spec.extra_claims)

    def get_launch_message(self, include_extra_claims=True):
        message = super().get_launch_message(include_extra_claims)
        for claim in self.spec.remove_claims:
            message.pop(claim, None)
        return message

    def generate_launch_request(self):
        if self.spec.sign_with is None:
            return super().generate_launch_request()
        message, state = self.get_launch_data()
        kid, pem = self.spec.sign_with
        token = Registration.encode_and_sign(message, pem, {"kid": kid}, expiration=self.spec.expires_in)
        return {"state": state, "id_token": token}

    def render_launch_form(self, launch_data, **kwargs):
        # The platform's auto-submitting form, as an LMS serves it (a real browser submits it; tests read it).
        return (
            '<!doctype html><html><body><form id="f" method="post" action="{launch_url}">'
            '<input type="hidden" name="id_token" value="{id_token}">'
            '<input type="hidden" name="state" value="{state}"></form>'
            "<script>document.getElementById('f').submit()</script></body></html>"
        ).format(**launch_data)


class DemoPlatform:
    """The platform served on loopback. `tool_url` is Board's base URL (where logins and launches go)."""

    def __init__(self, public_host: str = "127.0.0.1", port: int = 0):
        self.keys: list[tuple[str, str]] = [new_key()]
        self.signing = self.keys[0]
        self.jwks_cache_control = "no-store"
        self.jwks_fetches = 0
        self.specs: dict[str, LaunchSpec] = {}
        self.client_id, self.deployment_id = CLIENT_ID, DEPLOYMENT_ID  # Board's, as registered here
        self.registration_token = "registration-token-1"  # what Dynamic Registration must present
        self.registrations: list[dict] = []  # what tools sent to the Dynamic Registration endpoint
        self.line_items: dict[str, list[dict]] = {}  # context id → its gradebook columns
        self.scores: list[dict] = []  # every score posted, in order (AGS: the latest per user and item counts)
        self.members: dict[str, list[dict]] = {}  # context id → its roster (NRPS)
        self.link_members: dict[str, set[str]] = {}  # links restricted to some members (by sub); others: everyone
        self.rlids_asked: list[str | None] = []  # the `rlid` of each roster page served
        self.page_size = 2
        self.member_pages_served = 0
        self.deep_linked: list[dict] = []  # content items the tool returned by deep linking
        self.fail_scores = False  # answer score posts with a 503, as an LMS under maintenance does
        self.tool_url = ""
        self._hints = itertools.count(1)
        self.app = self._make_app()
        self.server = make_server("127.0.0.1", port, self.app, threaded=True, request_handler=_Quiet)
        # Board fetches keys and tokens at `url`; browsers meet the platform at `public_url` (another site than
        # Board's 127.0.0.1 in the iframe test, mapped to loopback by Chromium's host resolver rules).
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.public_url = f"http://{public_host}:{self.server.server_port}"
        self.issuer = self.public_url
        self.thread = threading.Thread(target=self.server.serve_forever, name="lti-platform", daemon=True)

    # The platform's HTTP endpoints ------------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("test_platform")

        @app.get("/jwks")
        def jwks():
            self.jwks_fetches += 1
            keys = [{**Registration.get_jwk(pem), "kid": kid} for kid, pem in self.keys]
            response = jsonify({"keys": keys})
            response.headers["Cache-Control"] = self.jwks_cache_control
            return response

        @app.post("/token")
        def token():
            # Client credentials with a JWT client assertion, checked against Board's JWKS URL (fetched over HTTP).
            config = _Config(platform=self)
            config.get_registration()
            try:
                return jsonify(config.get_access_token(request.form.to_dict()))
            except Exception as error:  # noqa: BLE001  (any refusal is a 400 to the tool)
                return jsonify({"error": "invalid_client", "error_description": str(error)}), 400

        def authorized(scope: str) -> bool:
            header = request.headers.get("Authorization", "")
            config = _Config(platform=self)
            config.get_registration()
            try:
                return header.startswith("Bearer ") and config.validate_token(header[7:], allowed_scopes=[scope])
            except Exception:  # noqa: BLE001
                return False

        @app.route("/contexts/<context_id>/lineitems", methods=["GET", "POST"])
        def line_items(context_id):
            if not authorized("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"):
                return "unauthorized", 401
            items = self.line_items.setdefault(context_id, [])
            if request.method == "GET":
                return jsonify(items)
            item = {
                **request.get_json(force=True),
                "id": f"{self.url}/contexts/{context_id}/lineitems/{len(items) + 1}",
            }
            items.append(item)
            return jsonify(item), 201

        @app.post("/contexts/<context_id>/lineitems/<int:number>/scores")
        def scores(context_id, number):
            if not authorized("https://purl.imsglobal.org/spec/lti-ags/scope/score"):
                return "unauthorized", 401
            if self.fail_scores:
                return "down for maintenance", 503
            items = self.line_items.get(context_id, [])
            if not 1 <= number <= len(items):
                return "no such line item", 404
            score = request.get_json(force=True)
            if request.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                return "wrong media type", 415
            self.scores.append({**score, "lineItem": items[number - 1]["id"]})
            return "", 204

        @app.post("/deep-link-return")
        def deep_link_return():
            # The tool's LtiDeepLinkingResponse, checked against its JWKS URL; a graded item gets its line item.
            config = _Config(platform=self)
            config.get_registration()
            try:
                items = config.validate_deeplinking_resp(request.form.to_dict())
            except Exception as error:  # noqa: BLE001
                return f"refused: {error}", 400
            for item in items:
                self.deep_linked.append(item)
                if "lineItem" in item:
                    line_items = self.line_items.setdefault("course-101", [])
                    number = len(line_items) + 1
                    line_items.append({**item["lineItem"], "id": f"{self.url}/contexts/course-101/lineitems/{number}"})
            return "Content added", 200

        @app.get("/contexts/<context_id>/memberships")
        def memberships(context_id):
            if not authorized("https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"):
                return "unauthorized", 401
            members = self.members.get(context_id, [])
            rlid = request.args.get("rlid")  # NRPS: only the members who can open this link, with its message
            if rlid is not None:
                allowed, link = self.link_members.get(rlid), {CLAIM + "resource_link": {"id": rlid}}
                members = [{**m, "message": [link]} for m in members if allowed is None or m["user_id"] in allowed]
            page = int(request.args.get("page", "1"))
            self.member_pages_served += 1
            self.rlids_asked.append(rlid)
            size = int(request.args.get("limit", self.page_size))  # NRPS: the tool may ask for a page size
            chunk = members[(page - 1) * size : page * size]
            response = jsonify({"id": request.url, "context": {"id": context_id}, "members": chunk})
            if page * size < len(members):
                following = urlencode({**request.args.to_dict(), "page": page + 1})
                response.headers["Link"] = f'<{request.base_url}?{following}>; rel="next"'
            return response

        @app.get("/.well-known/openid-configuration")
        def openid_configuration():
            # LTI Dynamic Registration: what a tool reads first.
            return jsonify(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": self.public_url + "/auth",
                    "token_endpoint": self.url + "/token",
                    "jwks_uri": self.url + "/jwks",
                    "registration_endpoint": self.url + "/register",
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid"],
                    "response_types_supported": ["id_token"],
                    "claims_supported": ["iss", "sub", "name", "email"],
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "board-demo-lms",
                        "version": "1.0",
                        "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
                    },
                }
            )

        @app.post("/register")
        def register():
            if request.headers.get("Authorization") != f"Bearer {self.registration_token}":
                return jsonify({"error": "invalid_token"}), 401
            sent = request.get_json(force=True)
            self.registrations.append(sent)
            self.client_id, self.deployment_id = f"board-dynamic-{len(self.registrations)}", "deployment-dynamic"
            tool = sent.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {})
            answer = {**sent, "client_id": self.client_id}
            answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = {
                **tool,
                "deployment_id": self.deployment_id,
            }
            return jsonify(answer)

        @app.get("/demo")
        def demo_page():
            # The demo's LMS course page: launch Board as one of its people.
            links = "".join(
                f'<li><a href="/demo/launch?as={who}">Open Board as {person["name"]} ({who})</a></li>'
                for who, person in DEMO_PEOPLE.items()
            )
            return f"<!doctype html><title>Demo LMS</title><h1>Demo LMS: History 101</h1><ul>{links}</ul>"

        @app.get("/demo/launch")
        def demo_launch():
            person = DEMO_PEOPLE.get(request.args.get("as", ""))
            if person is None:
                return "unknown person", 404
            return redirect(
                self.launch_spec(person["sub"], person["roles"], name=person["name"], email=person["email"])
            )

        @app.get("/course")
        def course_page():
            # An LMS course page showing the tool in an iframe, as Canvas and Moodle do.
            src = escape(request.args["launch"])
            return f'<!doctype html><title>LMS course</title><h1>LMS course</h1><iframe src="{src}" width="900" height="600"></iframe>'

        @app.get("/auth")
        def auth():
            spec = self.specs.get(request.args.get("lti_message_hint", ""))
            if spec is None:
                return "unknown launch", 400
            config = _Config(platform=self)
            return _Launch(request.args.to_dict(), config, spec).lti_launch()

        return app

    # For the tests ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def reset(self) -> None:
        self.keys = [new_key()]
        self.signing = self.keys[0]
        self.jwks_cache_control = "no-store"
        self.jwks_fetches = 0
        self.specs.clear()
        self.line_items.clear()
        self.scores.clear()
        self.members.clear()
        self.link_members.clear()
        self.rlids_asked.clear()
        self.fail_scores = False
        self.page_size = 2
        self.member_pages_served = 0
        self.deep_linked.clear()
        self.client_id, self.deployment_id = CLIENT_ID, DEPLOYMENT_ID
        self.registrations.clear()

    def rotate_key(self, *, keep_old: bool = False) -> None:
        """Sign with a new key from now on (D2L does this hourly); the old one is dropped unless `keep_old`."""
        key = new_key()
        self.keys = [*self.keys, key] if keep_old else [key]
        self.signing = key

    def enrol(self, context_id: str, sub: str, roles: list[str], *, name=None, email=None) -> None:
        """Put someone on the LMS course's roster (a launch does it for whoever launches), or change their roles."""
        roster = self.members.setdefault(context_id, [])
        member = next((m for m in roster if m["user_id"] == sub), None)
        if member is None:
            member = {"user_id": sub, "status": "Active"}
            roster.append(member)
        member["roles"] = roles
        member.update({k: v for k, v in (("name", name), ("email", email)) if v})

    def restrict_link(self, link_id: str, subs: list[str]) -> None:
        """Make an LMS link visible to these members only (a link for one section); others can open every link."""
        self.link_members[link_id] = set(subs)

    def unenrol(self, context_id: str, sub: str) -> None:
        """Take someone off the LMS course's roster."""
        self.members[context_id] = [m for m in self.members.get(context_id, []) if m["user_id"] != sub]

    def scores_for(self, sub: str) -> list[dict]:
        """Every score posted for this LMS user, oldest first."""
        return [score for score in self.scores if score.get("userId") == sub]

    def registration_values(self) -> dict:
        """What a site admin copies from the LMS into Board."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": self.public_url + "/auth",
            "auth_token_url": self.url + "/token",
            "key_set_url": self.url + "/jwks",
            "name": "Test LMS",
        }

    def launch_spec(self, sub: str, roles: list[str], **kwargs) -> str:
        """Describe the next launch; returns Board's login initiation URL the LMS page would open."""
        hint = f"launch-{next(self._hints)}"
        self.specs[hint] = LaunchSpec(sub=sub, roles=roles, **kwargs)
        login = _Login(None, _Config(platform=self))
        login.set_lti_message_hint(hint=hint)
        return login.initiate_login(sub)


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


_INPUT = re.compile(r'name="(id_token|state)" value="([^"]*)"')
_ACTION = re.compile(r'action="([^"]+)"')


def read_launch_form(html: str) -> tuple[str, dict]:
    """The auto-submitting form's target and fields (what a browser would post)."""
    action = unescape(_ACTION.search(html).group(1))
    return action, {name: unescape(value) for name, value in _INPUT.findall(html)}
