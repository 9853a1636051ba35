"""The claims of a launch Board reads, and what each must be: a token the platform signed can still carry a list
where a string belongs, and Board refuses it with a clear page rather than tripping over it later."""

from __future__ import annotations


class LaunchRefused(Exception):
    """A login or launch Board will not accept. `reason` is shown on the page; `retry` (login parameters) offers
    "Open Board in a new window" when the browser, not the platform, is what failed."""

    def __init__(self, reason: str, *, status: int = 400, retry: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry = retry


CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DEEP_LINKING = "LtiDeepLinkingRequest"
RESOURCE_LINK = "LtiResourceLinkRequest"
# pylti1p3 also accepts LtiSubmissionReviewRequest and DataPrivacyLaunchRequest; Board has nothing to show for them.
MESSAGE_TYPES = (RESOURCE_LINK, DEEP_LINKING)
# The type each claim Board reads must have when present: a token signed by the platform may still carry a list
# where a string belongs, and Board refuses it rather than tripping over it later.
CLAIM_TYPES: dict[str, type] = {
    "sub": str,
    "nonce": str,
    CLAIM + "message_type": str,
    CLAIM + "version": str,
    CLAIM + "deployment_id": str,
    CLAIM + "target_link_uri": str,
    CLAIM + "roles": list,
    CLAIM + "context": dict,
    CLAIM + "resource_link": dict,
    CLAIM + "custom": dict,
    NRPS_CLAIM: dict,
    AGS_CLAIM: dict,
    DL_SETTINGS: dict,
}
_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object"}
MALFORMED = "Board could not accept this launch: its id_token is malformed"


def check_claim_types(claims: dict) -> None:
    """Refuse a launch whose claims Board reads are of the wrong type (a list where a string belongs…)."""
    for name, kind in CLAIM_TYPES.items():
        if name in claims and not isinstance(claims[name], kind):
            raise LaunchRefused(_wrong_type(name, kind))
    message_type = claims.get(CLAIM + "message_type")
    if message_type is not None and message_type not in MESSAGE_TYPES:
        raise LaunchRefused(
            f"Board does not support this kind of launch ({message_type[:60]}): it opens LMS links to Board and "
            "lets instructors choose what a link opens."
        )
    context = claims.get(CLAIM + "context")
    if context is not None and not isinstance(context.get("id"), str):
        raise LaunchRefused(_wrong_type(CLAIM + "context", dict, "with a string id"))
    if claims.get(CLAIM + "message_type") == DEEP_LINKING:
        settings = claims.get(DL_SETTINGS) or {}
        if not isinstance(settings.get("deep_link_return_url"), str):
            raise LaunchRefused(_wrong_type(DL_SETTINGS, dict, "with a string deep_link_return_url"))


def _wrong_type(name: str, kind: type, detail: str = "") -> str:
    what = " ".join(filter(None, (_TYPE_NAMES[kind], detail)))
    return f"Board could not accept this launch: its {name.rsplit('/', 1)[-1]} claim is not {what}."
