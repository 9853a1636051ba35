"""The OIDC third-party login and the launch's checks.

/lti/login sends the browser to the platform with a state and a nonce and writes nothing: the state is signed
(it carries the platform and the login's parameters, so "Open Board in a new window" can start the sign-in again),
and the nonce is an HMAC of a random value kept in a cookie set for this browser only. /lti/launch then checks the
id_token with pylti1p3 (PyJWT verifies the signature), plus what pylti1p3 leaves out: aud/azp, exp/iat with a small
leeway, the nonce against this browser's cookie and used once, the deployment, target_link_uri on Board's host."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import utcnow
from . import registration
from .claims import CLAIM, MALFORMED, LaunchRefused, check_claim_types
from .models import LtiPlatform, LtiUsedNonce

STATE_MAX_AGE = 600  # seconds from /lti/login to /lti/launch
LEEWAY = 60  # seconds of clock difference allowed on exp and iat
NONCE_KEPT = timedelta(seconds=STATE_MAX_AGE + 2 * LEEWAY)  # a token this old is refused by its state anyway
FETCH_TIMEOUT = 5
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")
STATE_COOKIE_PREFIX = "lti_state_"


@dataclass
class Login:
    """Where /lti/login sends the browser, and the cookie that binds the state to it."""

    redirect_url: str
    cookie_name: str
    cookie_value: str


@dataclass
class Launch:
    """An accepted launch: the platform, the id_token's claims, and the login parameters (to retry in a new window)."""

    platform: LtiPlatform
    claims: dict
    login_params: dict = field(default_factory=dict)
    message_launch: MessageLaunch | None = None
    state_cookie: str = ""  # the name of this launch's state cookie (the only one the launch deletes)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="board-lti-state")


def _nonce_for(binding: str) -> str:
    return hmac.new(current_app.secret_key.encode(), b"lti-nonce:" + binding.encode(), hashlib.sha256).hexdigest()


def on_own_host(url, host: str) -> bool:
    """Whether `url` is an http(s) address on `host` (Board's own, as the request names it)."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def begin_login(params: dict, *, launch_url: str, host: str) -> Login:
    """Check a third-party login request and say where to send the browser (nothing is written)."""
    iss = params.get("iss") or ""
    if not iss or not params.get("login_hint"):
        raise LaunchRefused("The sign-in request from your LMS is missing its issuer or login hint.")
    platform = registration.find_platform(iss, params.get("client_id"))
    if platform is None:
        raise LaunchRefused("Board does not know this LMS. A site admin must register it first.", status=403)
    target = params.get("target_link_uri") or ""
    if target and not on_own_host(target, host):
        raise LaunchRefused("The LMS asked Board to open an address on another site.", status=403)
    deployment = params.get("lti_deployment_id")
    if deployment and deployment not in {d.deployment_id for d in platform.deployments}:
        raise LaunchRefused("This installation of Board in your LMS (its deployment) is not registered.", status=403)
    kept = {name: params[name] for name in LOGIN_PARAMS if params.get(name)}
    sid = secrets.token_urlsafe(9)
    binding = secrets.token_urlsafe(32)
    state = _serializer().dumps({"sid": sid, "pid": platform.id, "p": kept})
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "state": state,
        "nonce": _nonce_for(binding),
        "login_hint": params["login_hint"],
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return Login(platform.auth_login_url + separator + urlencode(query), STATE_COOKIE_PREFIX + sid, binding)


class _FormRequest(Request):
    def __init__(self, form: dict, secure: bool):
        self._form = form
        self._secure = secure

    @property
    def session(self):
        return {}

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._form.get(key, "")


class _NoCookies:
    def get_cookie(self, name):
        return None

    def set_cookie(self, name, value, exp=3600):
        pass


class BoardMessageLaunch(MessageLaunch):
    """pylti1p3's launch with Board's state, nonce, key set fetching and token checks."""

    def __init__(self, request: _FormRequest, platform: LtiPlatform, expected_nonce: str):
        super().__init__(
            request,
            registration.BoardToolConf(platform),
            session_service=SessionService(request),
            cookie_service=_NoCookies(),
        )
        self.platform = platform
        self.expected_nonce = expected_nonce

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate_jwt_format(self):
        super().validate_jwt_format()
        header, body = self._jwt.get("header"), self._jwt.get("body")
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchRefused(MALFORMED + " (its header or body is not a JSON object).")
        if not all(isinstance(header.get(name, ""), str) for name in ("kid", "alg")):
            raise LaunchRefused(MALFORMED + " (its key id or algorithm is not a string).")
        return self

    def validate_state(self):
        return self  # checked before: the signed state and this browser's cookie (check_launch)

    def validate_nonce(self):
        nonce = self._get_jwt_body().get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, self.expected_nonce):
            raise LaunchRefused("This launch was not started in this browser (its nonce does not match).", status=403)
        return self

    def save_launch_data(self):
        return self  # Board keeps what it needs itself

    def fetch_public_key(self, key_set_url: str):
        return fetch_key_set(self.platform, refresh=False)

    def get_public_key(self):
        try:
            return super().get_public_key()
        except LtiException as error:
            if "Unable to find public key" not in str(error):
                raise
        # An unknown kid: the platform may have rotated its keys (D2L does hourly), so fetch the set once more.
        assert self._registration is not None
        self._registration.set_key_set(fetch_key_set(self.platform, refresh=True))
        return super().get_public_key()

    def validate_jwt_signature(self):
        public_key, alg = self.get_public_key()
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[alg],
                audience=self.platform.client_id,
                issuer=self.platform.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "aud", "iss"]},
            )
        except jwt.InvalidTokenError as error:
            raise LaunchRefused(_token_reason(error), status=403) from error
        body = self._get_jwt_body()
        aud = body.get("aud")
        azp = body.get("azp")
        if (isinstance(aud, list) and len(aud) > 1 and azp is None) or (
            azp is not None and azp != self.platform.client_id
        ):
            raise LaunchRefused("The launch was meant for another tool (its azp claim).", status=403)
        check_claim_types(body)
        return self


def _token_reason(error: jwt.InvalidTokenError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "The launch has expired. Go back to your LMS and open Board again."
    if isinstance(error, jwt.ImmatureSignatureError):
        return "The launch is dated in the future; the LMS's clock may be wrong."
    if isinstance(error, jwt.InvalidAudienceError):
        return "The launch was meant for another tool (its audience is not Board's client id)."
    if isinstance(error, jwt.InvalidIssuerError):
        return "The launch names another LMS as its issuer."
    if isinstance(error, jwt.InvalidSignatureError):
        return "The launch's signature does not match the LMS's keys."
    return f"The launch's token could not be checked ({error})."


_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", re.IGNORECASE)


def _cache_seconds(response: requests.Response) -> int:
    """How long the response may be kept, by its own headers (0: not at all)."""
    control = response.headers.get("Cache-Control", "")
    if re.search(r"no-store|no-cache|private", control, re.IGNORECASE):
        return 0
    if match := _MAX_AGE.search(control):
        return int(match.group(1))
    if expires := response.headers.get("Expires"):
        try:
            return max(0, int((parsedate_to_datetime(expires) - utcnow()).total_seconds()))
        except (TypeError, ValueError):
            return 0
    return 0


def fetch_key_set(platform: LtiPlatform, *, refresh: bool) -> dict:
    """The platform's key set: the copy kept while its headers allowed, else fetched (and kept as they allow)."""
    now = utcnow()
    if not refresh and platform.key_set_json and platform.key_set_expires_at and platform.key_set_expires_at > now:
        return json.loads(platform.key_set_json)
    try:
        response = requests.get(platform.key_set_url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as error:
        raise LaunchRefused(
            "Board could not fetch the LMS's public keys; try again in a moment.", status=502
        ) from error
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise LaunchRefused("The LMS's public key set is not a JSON Web Key Set.", status=502)
    seconds = _cache_seconds(response)
    platform.key_set_json = json.dumps(key_set) if seconds else None
    platform.key_set_expires_at = now + timedelta(seconds=seconds) if seconds else None
    return key_set


def check_launch(form: dict, cookies: dict, *, host: str, secure: bool) -> Launch:
    """Every check of a launch (raises LaunchRefused); then records its nonce as used. Commits nothing else."""
    try:
        state = _serializer().loads(form.get("state") or "", max_age=STATE_MAX_AGE)
        sid, platform_id, login_params = state["sid"], state["pid"], state["p"]
    except (BadSignature, KeyError, TypeError):
        raise LaunchRefused(
            "This launch was not started by Board, or it took too long. Open Board from your LMS again."
        )
    platform = db.session.get(LtiPlatform, platform_id)
    if platform is None:
        raise LaunchRefused("Board does not know this LMS. A site admin must register it first.", status=403)
    binding = cookies.get(STATE_COOKIE_PREFIX + sid)
    if not binding:
        raise LaunchRefused(
            "Your browser did not give back the cookie Board set when this sign-in began: it began in another "
            "browser, or this browser blocks Board's cookies inside your LMS's page.",
            status=403,
            retry=login_params,
        )
    if not form.get("id_token"):
        raise LaunchRefused("The LMS sent no id_token.")
    launch = BoardMessageLaunch(_FormRequest(form, secure), platform, _nonce_for(binding))
    try:
        launch.validate()
    except LtiException as error:
        raise LaunchRefused(_library_reason(str(error)), status=403) from error
    except (AttributeError, TypeError, ValueError, KeyError) as error:
        # Whatever else an odd token trips in the library is a refusal too, never a 500.
        current_app.logger.warning("LTI launch refused, malformed id_token: %r", error)
        raise LaunchRefused(MALFORMED + ".") from error
    claims = launch.get_launch_data()
    if claims.get("iss") != platform.issuer:
        raise LaunchRefused("The launch names another LMS as its issuer.", status=403)
    if not on_own_host(claims.get(CLAIM + "target_link_uri", ""), host):
        raise LaunchRefused("The LMS asked Board to open an address on another site.", status=403)
    _use_nonce(platform, claims["nonce"])
    return Launch(platform, dict(claims), login_params, launch, STATE_COOKIE_PREFIX + sid)


def _library_reason(message: str) -> str:
    if "deployment" in message.lower():
        return "This installation of Board in your LMS (its deployment) is not registered."
    if "Registration not found" in message or "Client id" in message:
        return "The launch was meant for another tool (its audience is not Board's client id)."
    if "public key" in message.lower() or "KID" in message:
        return "The launch was signed with a key the LMS does not publish."
    if "Roles" in message:
        return "The launch does not say what your role in the course is."
    return f"Board could not accept this launch: {message}"


def _use_nonce(platform: LtiPlatform, nonce: str) -> None:
    now = utcnow()
    db.session.execute(delete(LtiUsedNonce).where(LtiUsedNonce.expires_at < now))
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(LtiUsedNonce).values(platform_id=platform.id, nonce=nonce[:128], expires_at=now + NONCE_KEPT)
            )
    except IntegrityError:
        raise LaunchRefused("This launch was already used. Open Board from your LMS again.", status=403) from None
