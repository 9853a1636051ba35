"""Every person has a time zone: asked once from the browser (a POST, never a write on GET), editable on the account
page and validated there, the course's zone for members who have none, else UTC; every time on pages (without the
script), in email and in feeds reads in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from board import timezones
from board.extensions import db
from board.models import Role
from tests import factories
from tests.desk.test_nudges import _nudge_url
from tests.desk.world import build_class
from tests.feeds.test_feeds import fetch, turn_on

DUE = datetime(2026, 12, 10, 4, 59, tzinfo=UTC)  # 11:59 PM on Dec 9 in New York


@pytest.fixture
def ada(app):
    course = factories.course(factories.user("Iris Instructor"))
    person = factories.member(course, Role.STUDENT, "Ada Lovelace")
    return course, person


def _ask_form(page: str) -> bool:
    return 'id="ask-time-zone"' in page


def test_the_browser_zone_is_stored_once_by_post_and_never_overrides_a_choice(ada, make_visitor):
    _, person = ada
    visitor = make_visitor(person)
    page = visitor.get("/courses").get_data(as_text=True)
    assert _ask_form(page) and person.time_zone is None  # asked, and the GET stored nothing
    assert visitor.get("/account/time-zone").status_code == 405
    assert visitor.post("/account/time-zone", {"time_zone": "Mars/Olympus_Mons"}).status_code == 400
    assert factories.reload(person).time_zone is None
    assert visitor.post("/account/time-zone", {"time_zone": "America/New_York"}).status_code == 204
    assert factories.reload(person).time_zone == "America/New_York"
    assert not _ask_form(visitor.get("/courses").get_data(as_text=True)), "asked once"
    assert visitor.post("/account/time-zone", {"time_zone": "Europe/Paris"}).status_code == 204
    assert factories.reload(person).time_zone == "America/New_York", "a later report never overrides it"
    anonymous = make_visitor()
    assert not _ask_form(anonymous.get("/login").get_data(as_text=True))


def test_the_account_page_edits_the_zone_and_refuses_an_unknown_one_with_a_message(ada, make_visitor):
    course, person = ada
    visitor = make_visitor(person)
    page = visitor.get("/account").get_data(as_text=True)
    assert '<option selected value="">Course&#39;s time zone (default)</option>' in page, "none stored: the course's"
    assert '<option value="UTC">' in page and '<option value="America/New_York">America/New York' in page
    refused = visitor.post("/account", {"which": "zone", "zone-time_zone": "Not/AZone"})
    assert refused.status_code == 200
    assert "Choose a time zone from the list" in refused.get_data(as_text=True)
    assert factories.reload(person).time_zone is None
    saved = visitor.post("/account", {"which": "zone", "zone-time_zone": "Europe/Paris"})
    assert saved.status_code == 302
    assert factories.reload(person).time_zone == "Europe/Paris"
    page = visitor.get("/account").get_data(as_text=True)
    assert "Times are now shown in Europe/Paris." in page and '<option selected value="Europe/Paris">' in page
    back = visitor.post("/account", {"which": "zone", "zone-time_zone": ""})
    assert back.status_code == 302, "follows the course again"
    assert factories.reload(person).time_zone == timezones.FOLLOW_COURSE
    page = visitor.get("/account").get_data(as_text=True)
    assert "each course&#39;s time zone" in page and '<option selected value="">Course' in page
    # A choice, so the browser is not asked for its zone again (which would overwrite it), and pages use the course's.
    assert not _ask_form(page)
    assert visitor.post("/account/time-zone", {"time_zone": "Asia/Tokyo"}).status_code == 204
    assert factories.reload(person).time_zone == timezones.FOLLOW_COURSE
    assert timezones.zone_name(factories.reload(person), course) == course.time_zone


def test_the_browser_zone_report_is_rate_limited_per_account(ada, limits, make_visitor):
    limits(POSTING_RATE_LIMIT="2 per minute")
    _, person = ada
    visitor = make_visitor(person)
    codes = [visitor.post("/account/time-zone", {"time_zone": "Nowhere/Zone"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    refused = visitor.post("/account/time-zone", {"time_zone": "Europe/Paris"})
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert factories.reload(person).time_zone is None


@pytest.mark.parametrize("reported", ["Etc/UTC", "Etc/GMT", "Etc/Universal", "Etc/Zulu", "UTC", "GMT"])
def test_a_browser_reporting_a_name_of_utc_is_stored_as_utc(ada, make_visitor, reported):
    _, person = ada
    assert make_visitor(person).post("/account/time-zone", {"time_zone": reported}).status_code == 204
    assert factories.reload(person).time_zone == "UTC"


def test_a_browser_reporting_an_etc_offset_zone_is_stored_and_listed_on_the_account_page(ada, make_visitor):
    course, person = ada
    visitor = make_visitor(person)
    assert visitor.post("/account/time-zone", {"time_zone": "Etc/GMT+5"}).status_code == 204
    assert factories.reload(person).time_zone == "Etc/GMT+5"
    assert not _ask_form(visitor.get("/courses").get_data(as_text=True)), "not asked again"
    assert timezones.zone_name(person, course) == "Etc/GMT+5"
    page = visitor.get("/account").get_data(as_text=True)
    assert '<option selected value="Etc/GMT+5">' in page
    assert "Etc/GMT+5" not in timezones.names(), "listed only for whoever has it"
    assert visitor.post("/account", {"which": "zone", "zone-time_zone": "Etc/GMT-3"}).status_code == 302
    assert factories.reload(person).time_zone == "Etc/GMT-3"


def test_page_times_read_in_the_persons_zone_else_the_courses_else_utc(ada, make_visitor):
    course, person = ada
    reading = factories.reading(course, title="The reading")
    note = factories.comment(reading, factories.instructor_of(course), "Timed.")
    note.created_at = DUE
    person.time_zone = "America/New_York"
    db.session.commit()
    path = f"/c/{course.slug}/posts/{reading.id}"
    page = make_visitor(person).get(path).get_data(as_text=True)
    # A comment's time names no zone of its own: the page's body does, once (a long thread has hundreds of times).
    assert '<time datetime="2026-12-10T04:59Z">Dec 9, 2026, 11:59 PM EST</time>' in page
    assert '<body data-zone="America/New_York"' in page

    course.time_zone = "America/Chicago"
    other = factories.member(course, Role.STUDENT, "Bo Chen")  # no zone of his own: the course's
    page = make_visitor(other).get(path).get_data(as_text=True)
    assert '<time datetime="2026-12-10T04:59Z">Dec 9, 2026, 10:59 PM CST</time>' in page
    assert '<body data-zone="America/Chicago"' in page

    # Outside any course, someone with no zone: UTC, and no data-zone (the script shows the browser's own zone).
    account = make_visitor(other).get("/account").get_data(as_text=True)
    assert "<body data-zone" not in account
    assert re.search(r'<time datetime="[^"]+">\w{3} \d+, \d{4}, \d+:\d\d [AP]M UTC</time>', account)


def test_a_new_course_takes_its_creators_zone_and_its_settings_change_it(ada, make_visitor):
    course, _ = ada
    assert course.time_zone == "America/New_York"  # the default
    maker = factories.user("Tess Teacher")
    maker.time_zone = "Asia/Kolkata"
    assert factories.course(maker).time_zone == "Asia/Kolkata"
    instructor = make_visitor(factories.instructor_of(course))
    form = {"title": course.title, "code": course.code, "term": course.term, "description": ""}
    form |= {"moderation_policy": "open", "like_policy": "everyone"}
    refused = instructor.post(f"/c/{course.slug}/settings", form | {"time_zone": "Atlantis/Capital"})
    assert refused.status_code == 422 and "Choose a time zone from the list" in refused.get_data(as_text=True)
    assert instructor.post(f"/c/{course.slug}/settings", form | {"time_zone": "Europe/Berlin"}).status_code == 302
    assert factories.reload(course).time_zone == "Europe/Berlin"


def test_daylight_saving_ends_between_two_times_an_hour_apart():
    fall_back_before = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    fall_back_after = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    zone = "America/New_York"
    assert timezones.human(fall_back_before, zone) == "Nov 1, 2026, 1:30 AM EDT"
    assert timezones.human(fall_back_after, zone) == "Nov 1, 2026, 1:30 AM EST"
    assert timezones.human(datetime(2027, 3, 14, 7, 0, tzinfo=UTC), zone) == "Mar 14, 2027, 3:00 AM EDT"
    assert timezones.human(fall_back_after, "No/Such_Zone") == "Nov 1, 2026, 6:30 AM UTC"  # a bad stored name


def test_the_nudge_says_the_due_time_in_the_students_zone(make_visitor, inbox):
    klass = build_class()
    klass.reading.due_at = DUE
    klass.students["cy"].time_zone = "America/New_York"
    db.session.commit()
    make_visitor(klass.instructor).post(_nudge_url(klass))
    [message] = inbox.messages(klass.students["cy"].email)
    assert "Responses are due Wed Dec 9, 11:59 PM EST." in message.get_body(("plain",)).get_content()
    assert "UTC" not in message.get_body(("html",)).get_content()
    # Di has no zone: the course's (New York by default) is hers.
    [other] = inbox.messages(klass.students["di"].email)
    assert "Responses are due Wed Dec 9, 11:59 PM EST." in other.get_body(("plain",)).get_content()


def test_a_readings_due_date_in_a_feed_reads_in_the_owners_zone(app, ada, make_visitor):
    course, person = ada
    reading = factories.reading(course, title="Due soon")
    reading.due_at = DUE
    person.time_zone = "Europe/Paris"
    db.session.commit()
    feed = fetch(app, turn_on(make_visitor(person))).get_data(as_text=True)
    assert "Responses are due Thu Dec 10, 5:59 AM CET." in feed
