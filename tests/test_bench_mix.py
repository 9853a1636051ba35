"""The class-mix benchmark's (scripts/bench_mix.py) reading of Board's pages: what it takes from a post page (the
CSRF token, the read beacon's form, the comment form and its submission key, the like buttons) is there, and the
requests it builds from them are the ones Board accepts, so a change of markup cannot quietly turn its writes into
errors or its beacons into nothing."""

from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench_mix

from tests import factories


def test_the_mix_is_a_hundred_percent():
    assert sum(bench_mix.MIX.values()) == 100
    assert set(bench_mix.SOLO) >= set(bench_mix.MIX) - {"comment", "like"} | {"beacon", "thread"}


def test_a_post_page_gives_the_mix_what_it_posts(make_visitor):
    course = factories.course()
    student = factories.member(course, name="Student Sam")
    classmate = factories.member(course, name="Classmate Cleo")
    reading = factories.reading(course, title="On solidarity")
    response = factories.response(course, classmate, reading, title="Cleo's response")
    factories.comment(response, classmate, "A first comment.")
    sam = make_visitor(student)
    path = f"/c/{course.slug}/posts/{response.id}"
    page = sam.get(path).get_data(as_text=True)
    assert f"<h1>{response.title}</h1>".replace("'", "&#39;") in page

    beacon = bench_mix.BEACON.search(page)  # a post new to this reader offers the beacon
    assert beacon and beacon.group(1) == f"{path}/read"
    fields = {"csrf_token": bench_mix.CSRF.search(beacon.group(2)).group(1), "beacon": "1"}
    fields["shown"] = bench_mix.SHOWN.search(beacon.group(2)).group(1)
    assert sam.client.post(beacon.group(1), data=fields).status_code == 204

    buttons = bench_mix.LIKE.findall(page)
    assert len(buttons) == 2  # the post and the classmate's comment
    for target, value in buttons:
        where = urllib.parse.urljoin(path, target) + "/like"
        liked = sam.client.post(
            where,
            data={"csrf_token": bench_mix.CSRF.search(page).group(1), "liked": value},
            headers={"Accept": "application/json"},
        )
        assert liked.status_code == 200 and liked.json["liked"] is True

    form = bench_mix.COMMENT_FORM.search(page)
    assert form and form.group(1) == f"{path}/comments"
    fields = {"csrf_token": bench_mix.CSRF.search(form.group(2)).group(1), "parent_id": "", "body": "Mix comment."}
    fields["submission_key"] = bench_mix.SUBMISSION.search(form.group(2)).group(1)
    assert fields["submission_key"]
    posted = sam.client.post(form.group(1), data=fields)
    assert posted.status_code == 302 and "#comment-" in posted.headers["Location"]
    assert "Mix comment." in sam.get(path).get_data(as_text=True)
