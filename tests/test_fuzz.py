"""No input gives a 5xx: hostile values in every form field of every POST route, and in every id and query value.

The routes come from app.url_map and their fields from the pages themselves (the route's own GET page, or any form
on the site that posts to it), so a new form is fuzzed without touching this file; a POST route that no page offers
a form for fails test_every_post_route_has_a_form_to_fuzz. Hypothesis runs derandomized (the same examples every
run) and a bounded number of them per route.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, Rule

from board.extensions import db
from board.feeds import tokens
from board.lti import registration
from board.lti.launch import LOGIN_PARAMS
from board.models import Award, AwardType, Membership, Report, Role, Visibility
from board.notifications import batches
from board.notifications import services as notifications
from tests import factories
from tests.conftest import Visitor

EXAMPLES_PER_ROUTE = 12

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: sent as the bytes ED A0 80, which are not UTF-8
    "\udfff tail",
    "\uffff",
    "\u202e\u0301",
    "0",
    "-1",
    str(-(2**63) - 1),
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    "9" * 40,
    "-" + "9" * 40,
    "1e309",
    "NaN",
    "0x10",
    "1_000",
    "٣",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2027-02-30T25:61",
    "10000-01-01T00:00",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "[x](javascript:alert(1))",
    "%00",
    "\r\n\r\n",
    "y",
    "x" * 5_000,
    "x" * 120_000,
]

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**140).map(str),
)
ids = st.one_of(st.sampled_from([0, 1, 2, 2**31, 2**63 - 1, 2**63, 10**39]), st.integers(min_value=-(2**70)))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_ROUTE,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL | re.IGNORECASE)
_FIELD = re.compile(r"<(input|textarea|select|button)\b([^>]*)>(?:(.*?)</\1>)?", re.DOTALL | re.IGNORECASE)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_HREF = re.compile(r'href="([^"]+)"')
_FORMACTION = re.compile(r"<button\b([^>]*\bformaction=[^>]*)>", re.IGNORECASE)
# A composer's upload control (posts/_composer.html): uploads.js posts its file there, a form of one field.
_UPLOAD = re.compile(r'\bdata-upload="([^"]+)"')
_PART = re.compile(r"<(?:[^<>]*:)?(\w+)>")


@dataclass
class FormsSeen:
    """What the site offers, by route: a real path for it, the fields of the form posting to it, query names."""

    adapter: MapAdapter
    # Keyed by the rule's pattern (rules themselves are not hashable).
    paths: dict[str, str] = field(default_factory=dict)  # a path the site links or posts to, with real ids
    post: dict[str, dict[str, str]] = field(default_factory=dict)  # its form's fields, as the page filled them
    query: dict[str, set[str]] = field(default_factory=dict)  # query names seen in links and GET forms

    def rule_of(self, path: str, method: str) -> str | None:
        try:
            rule, _ = self.adapter.match(path, method=method, return_rule=True)
        except HTTPException:  # another site's link, a redirect, a method the route does not take
            return None
        return rule.rule

    def saw(self, path: str, method: str, names) -> None:
        rule = self.rule_of(path, method)
        if rule is None:
            return
        self.paths.setdefault(rule, path)
        if method == "POST":
            if rule not in self.post:
                self.post[rule] = dict(names)
        else:
            self.query.setdefault(rule, set()).update(names)


def _attrs(text: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _ATTR.findall(text)}


def _read_forms(page: str, here: str, seen: FormsSeen) -> None:
    for form_attrs, body in _FORM.findall(page):
        attrs = _attrs(form_attrs)
        fields = {}
        for tag, tag_attrs, inner in _FIELD.findall(body):
            field_attrs = _attrs(tag_attrs)
            if "name" in field_attrs and field_attrs["name"] != "csrf_token":
                value = html.unescape(inner or "") if tag.lower() == "textarea" else field_attrs.get("value", "")
                fields.setdefault(field_attrs["name"], value)
        method = "POST" if attrs.get("method", "get").lower() == "post" else "GET"
        seen.saw(urlsplit(attrs.get("action") or here).path, method, fields.items() if method == "POST" else fields)
    # Buttons that post a shared form to their own address (<button form="acts" formaction=…>): one CSRF token a page.
    for tag_attrs in _FORMACTION.findall(page):
        attrs = _attrs(tag_attrs)
        fields = {attrs["name"]: attrs.get("value", "")} if "name" in attrs else {}
        seen.saw(urlsplit(urljoin(here, attrs["formaction"])).path, "POST", fields.items())
    for action in _UPLOAD.findall(page):
        seen.saw(urlsplit(html.unescape(action)).path, "POST", [("file", "")])


def _crawl(visitor: Visitor, start: list[str], seen: FormsSeen, limit: int = 150) -> None:
    """Breadth-first over the site's own links, collecting every form and query name it offers."""
    visited, queue = set(), list(start)
    while queue and len(visited) < limit:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = visitor.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        _read_forms(page, urlsplit(url).path, seen)
        for href in _HREF.findall(page):
            href = urljoin(urlsplit(url).path, html.unescape(href))  # the comment thread's links are relative
            if not href.startswith("/") or href.startswith(("//", "/static/")):
                continue
            parts = urlsplit(href)
            seen.saw(parts.path, "GET", [name for name, _ in parse_qsl(parts.query)])
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


@dataclass
class World:
    slug: str
    url_values: dict[str, str]
    member: Visitor  # the instructor, or a student where a test asks for one
    outsider: Visitor
    forms: FormsSeen


@pytest.fixture
def world(request, app, make_visitor, inbox) -> World:
    """A course with something for every route to act on, a member logged in (the instructor unless the test
    passes "student"), and the forms the site shows that member."""
    course = factories.course(factories.user("Iris Instructor"))
    instructor = factories.instructor_of(course)
    student = factories.member(course, Role.STUDENT, "Stu Student")
    factories.member(course, Role.STUDENT, "Nell Newcomer")  # has not responded: the desk offers to nudge her
    reading = factories.reading(course, title="The reading", prompt="Why?")
    response = factories.response(course, student, reading, title="Stu's response")
    hidden = factories.response(course, student, reading, title="Hidden one", visibility=Visibility.HIDDEN)
    comment = factories.comment(response, student, "A comment")
    factories.comment(response, instructor, "The instructor's own comment")
    factories.comment(response, student, "A held comment", visibility=Visibility.HELD)
    award_type = AwardType(course_id=course.id, name="Comrade’s Corner", badge="star")
    db.session.add(award_type)
    db.session.flush()
    award = Award(post_id=hidden.id, award_type_id=award_type.id, given_by_id=instructor.id)
    report = Report(course_id=course.id, reporter_id=student.id, comment_id=comment.id, reason="Rude")
    db.session.add_all([award, report])
    notified = notifications.notify(course, "nudge", {instructor.id, student.id}, post=reading, detail="Fuzz")
    db.session.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == student.id))
    seen = FormsSeen(app.url_map.bind("localhost"))
    person = student if getattr(request, "param", "instructor") == "student" else instructor
    tokens.renew(person)  # feeds on, so the account page offers "Turn feeds off" and pages link their feeds
    make_visitor(person)  # signed in on a second browser too, so the account page offers "Log out everywhere else"
    visitor = make_visitor(person)
    _crawl(visitor, ["/courses", "/account", f"/c/{course.slug}/", f"/c/{course.slug}/posts/{response.id}"], seen)
    # The site admin's page, with its per-course upload quotas form (fuzzed by the member, who gets its 404).
    admin = factories.user("Site Admin", email="fuzz-admin@example.edu")
    admin.is_admin = True
    db.session.commit()
    _crawl(make_visitor(admin), ["/admin/", "/admin/lti/"], seen, limit=2)
    # What an LMS posts to the LTI login and launch (no page of Board's offers these forms), and an instructor's
    # first launch, a first launch's choice of account and the deep linking choice (shown only after such launches):
    # tests/lti/ drives them for real.
    registration.add_platform(
        issuer="https://lms.example",
        client_id="fuzz",
        deployment_ids=["1"],
        auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks",
    )
    seen.saw("/lti/login", "POST", {name: "" for name in LOGIN_PARAMS}.items())
    seen.post["/lti/login"].update(iss="https://lms.example", client_id="fuzz", login_hint="x")
    seen.saw("/lti/launch", "POST", [("id_token", "a.b.c"), ("state", "")])
    seen.saw("/lti/course-setup", "POST", [("choice", "new"), ("course_id", "")])
    seen.saw("/lti/identity/no-such-launch", "POST", [("choice", "link")])
    seen.saw("/lti/deep-link", "POST", [("target", "home")])
    seen.saw(
        "/lti/register", "POST", [("openid_configuration", "https://lms.example/config"), ("registration_token", "")]
    )
    anonymous = make_visitor()
    # The pages behind emailed links, with real links: a password reset for someone else, a registration to confirm.
    target = factories.user("Fuzz Target", email="fuzz-target@example.edu")
    assert anonymous.post("/password/forgot", {"email": target.email}).status_code == 302
    newcomer = "new-person@example.edu"
    assert anonymous.post("/register", {"email": newcomer}).status_code == 302
    emailed = [inbox.link(target.email, "/password/reset/"), inbox.link(newcomer, "/register/confirm/")]
    emailed.append(f"/unsubscribe/{notifications.unsubscribe_token(target)}")
    emailed.append(f"/notifications/switch/{batches.switch_token(student, course, ['comment'], 'now')}")
    # "Check your email", with its "Send the link again" form, for the address just registered.
    for page in ("/login", "/register", "/register/sent", "/password/forgot", *emailed):
        _read_forms(anonymous.get(page).get_data(as_text=True), page, seen)
    url_values = {
        "slug": course.slug,
        "course_id": course.id,
        "membership_id": membership.id,
        "which": "student",
        "kind": "comments",
        "item_id": comment.id,
        "post_id": response.id,
        "reading_id": reading.id,
        "comment_id": comment.id,
        "type_id": award_type.id,
        "report_id": report.id,
        "award_id": award.id,
        "user_id": student.id,
        "student_id": student.id,
        "token": "not-a-real-token",
        "name": "image.png",
        "notification_id": notified[0].id,
    }
    return World(course.slug, {k: str(v) for k, v in url_values.items()}, visitor, anonymous, seen)


def _path(rule: Rule, values: dict[str, str]) -> str:
    return _PART.sub(lambda part: quote(values[part.group(1)].encode("utf-8", "surrogatepass"), safe=""), rule.rule)


def _form_body(data: dict[str, str]) -> bytes:
    """URL-encoded as a hostile client would send it: lone surrogates go out as the (invalid) bytes they stand for."""
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for name, value in data.items()
    ).encode("ascii")


def _post_rules(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def _no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{response.status_code} from {what}"


def test_every_post_route_has_a_form_to_fuzz(app, world):
    """A POST route no page offers a form for would be fuzzed blind: show its form on a page, or give it data."""
    missing = [rule.rule for rule in _post_rules(app) if rule.rule not in world.forms.post]
    assert not missing, f"no page offers a form for {missing}"


def _fuzz_form(visitor: Visitor, path: str, token: str, fields: dict[str, str]) -> None:
    """Post `fields` to `path`, each either as its page filled it or hostile, and expect no 5xx."""

    @FUZZ_SETTINGS
    @given(data=st.fixed_dictionaries({name: st.one_of(st.just(value), values) for name, value in fields.items()}))
    def post_hostile_form(data):
        response = visitor.client.post(
            path, data=_form_body({"csrf_token": token, **data}), content_type="application/x-www-form-urlencoded"
        )
        _no_server_error(response, f"POST {path} {data!r:.300}")

    post_hostile_form()


# Pages for people who are not signed in (the signed-in are sent to their dashboard, or would become someone else).
LOGGED_OUT_ROUTES = {
    "auth.register",
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.confirm_registration",
}


def _destructive_last(rule: Rule) -> tuple[bool, bool]:
    """Routes that delete what later routes act on go after them, and logging out (which ends the session) last."""
    endpoint = rule.endpoint
    return endpoint == "auth.logout", any(word in endpoint for word in ("delete", "remove", "revoke", "dismiss"))


@pytest.mark.parametrize("world", ["instructor", "student"], indirect=True)
def test_no_form_field_gives_a_server_error(app, world):
    for rule in sorted(_post_rules(app), key=_destructive_last):
        # Routes for people who are not logged in (register, log in) send the signed-in to the dashboard.
        visitor = world.outsider if rule.endpoint in LOGGED_OUT_ROUTES else world.member
        token = visitor.csrf_token("/courses" if visitor is world.member else "/login")
        path = world.forms.paths.get(rule.rule) or _path(rule, world.url_values)
        _fuzz_form(visitor, path, token, world.forms.post.get(rule.rule, {}))


def _fuzz_url(visitor: Visitor, rule: Rule, method: str, known: dict[str, str], query_names: list[str]) -> None:
    """Visit `rule` with hostile ids, slug and query values (the real ones some of the time); expect no 5xx."""
    int_parts = [name for name, converter in rule._converters.items() if converter.regex == r"\d+"]

    @FUZZ_SETTINGS
    @given(
        numbers=st.fixed_dictionaries({name: st.one_of(st.just(known[name]), ids.map(str)) for name in int_parts}),
        slug=st.one_of(st.just(known["slug"]), values),
        query=st.fixed_dictionaries({}, optional=dict.fromkeys(query_names, values)),
    )
    def visit(numbers, slug, query):
        path = _path(rule, {**known, **numbers, "slug": slug or known["slug"]})
        body = _form_body({"csrf_token": visitor.csrf_token("/courses")}) if method == "POST" else None
        response = visitor.client.open(
            path,
            method=method,
            query_string=_form_body(query).decode(),
            data=body,
            content_type="application/x-www-form-urlencoded" if body else None,
        )
        _no_server_error(response, f"{method} {path}?{query!r:.300}")

    visit()


def test_no_id_slug_or_query_value_in_a_url_gives_a_server_error(app, world):
    for rule in app.url_map.iter_rules():
        if not rule.arguments and not world.forms.query.get(rule.rule) or rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        known = dict(world.url_values)
        if rule.rule in world.forms.paths:
            known.update(world.forms.adapter.match(world.forms.paths[rule.rule], method=method)[1])
        known = {name: str(value) for name, value in known.items()}
        _fuzz_url(world.member, rule, method, known, sorted(world.forms.query.get(rule.rule, set())))
