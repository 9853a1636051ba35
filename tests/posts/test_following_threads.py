"""Threads you can follow (issue #20): each branch collapses without JavaScript (a <details open> after the comment
it answers), a reply past the depth cap links to its parent under the name the thread shows, and comments keep their
earlier versions for their author and staff."""

import re
from html.parser import HTMLParser

from board.extensions import db
from board.models import Comment, CommentRevision, Role, Visibility
from tests import factories

_BRANCH = re.compile(r"</li><li><details open><summary>(\d+) repl(?:y|ies)</summary><ol>")


def _page(visitor, post) -> str:
    response = visitor.get(f"/c/{post.course.slug}/posts/{post.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _after(page: str, comment: Comment) -> str:
    """The page from the end of `comment`'s item on."""
    start = page.index(f'id="comment-{comment.id}"')
    return page[page.index("</article>", start) + len("</article>") :]


class _Nesting(HTMLParser):
    """The chain of list and details elements around each comment, checking every one closes in order."""

    TAGS = frozenset({"ol", "li", "details", "summary"})

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.around: dict[str, tuple[str, ...]] = {}

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.stack.append(tag)
            found = dict(attrs).get("id") or ""
            if tag == "li" and found.startswith("comment-"):
                self.around[found] = tuple(self.stack)

    def handle_endtag(self, tag):
        if tag in self.TAGS:
            assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
            self.stack.pop()


def _nesting(page: str) -> dict[str, int]:
    """How many branches (details) each comment sits in."""
    start, end = page.index('<ol class="comment-list">'), page.index("</ol>\n", page.index('<ol class="comment-list">'))
    parser = _Nesting()
    parser.feed(page[start : end + len("</ol>")])
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return {cid: around.count("details") for cid, around in parser.around.items()}


def _discussion():
    course = factories.course()
    course.allow_anonymous = True
    post = factories.response(course, factories.member(course), factories.reading(course), title="Work as dignity")
    return course, post


def test_each_comment_with_replies_is_followed_by_a_branch_that_collapses_without_javascript(make_visitor):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada"), factories.member(course, name="Boris")
    first = factories.comment(post, ada, "First")
    reply = factories.comment(post, boris, "Reply", parent=first)
    factories.comment(post, ada, "Reply to the reply", parent=reply)
    factories.comment(post, ada, "Second reply", parent=first)
    lone = factories.comment(post, boris, "Nobody answered")
    factories.comment(post, boris, "Hidden", parent=lone, visibility=Visibility.HIDDEN)

    page = _page(make_visitor(factories.member(course)), post)
    assert _BRANCH.match(_after(page, first)).group(1) == "3"
    assert _BRANCH.match(_after(page, reply)).group(1) == "1"
    # The hidden reply is not shown to a classmate, so its comment has no branch; the staff's page counts it.
    assert not _BRANCH.match(_after(page, lone))
    staff_page = _page(make_visitor(factories.instructor_of(course)), post)
    assert _BRANCH.match(_after(staff_page, lone)).group(1) == "1"
    nesting = _nesting(page)
    assert list(nesting.values()) == [0, 1, 2, 1, 0]


def test_replies_past_the_depth_cap_sit_in_the_last_branch_and_link_to_their_parent_anonymously(make_visitor):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada Lovelace"), factories.member(course, name="Boris Pasternak")
    chain = [factories.comment(post, ada, "Turn 1")]
    for n in range(2, 9):
        anonymous = n in (4, 6)  # the parents of turns 5 (at the cap) and 7, written anonymously
        chain.append(
            factories.comment(post, boris if n % 2 else ada, f"Turn {n}", parent=chain[-1], anonymous=anonymous)
        )

    classmate_page = _page(make_visitor(factories.member(course)), post)
    # Four branches at most: turns 5 to 8 sit side by side in the fourth, at the cap.
    assert list(_nesting(classmate_page).values()) == [0, 1, 2, 3, 4, 4, 4, 4]
    assert _BRANCH.match(_after(classmate_page, chain[0])).group(1) == "7"
    assert not _BRANCH.match(_after(classmate_page, chain[4]))
    link = '<a class="in-reply-to" href="#comment-{}">in reply to {}</a>'
    assert link.format(chain[3].id, "Anonymous classmate") in classmate_page  # turn 5, at exactly the cap
    assert link.format(chain[5].id, "Anonymous classmate") in classmate_page
    assert link.format(chain[6].id, "Boris Pasternak") in classmate_page
    assert "Ada Lovelace (anonymous" not in classmate_page
    staff_page = _page(make_visitor(factories.instructor_of(course)), post)
    assert link.format(chain[5].id, "Ada Lovelace (anonymous to classmates)") in staff_page
    assert link.format(chain[3].id, "Ada Lovelace (anonymous to classmates)") in staff_page


def _edit(visitor, comment, body):
    response = visitor.post(f"/c/{comment.post.course.slug}/comments/{comment.id}/edit", {"body": body})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#comment-{comment.id}")


def _revisions(comment) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        db.select(CommentRevision.body_md).where(CommentRevision.comment_id == comment.id).order_by(CommentRevision.id)
    ).all()


def test_editing_a_comment_keeps_each_earlier_version(make_visitor):
    course, post = _discussion()
    author = factories.member(course, name="Ada")
    comment = factories.comment(post, author, "Frist!")
    visitor = make_visitor(author)
    _edit(visitor, comment, "First, properly.")
    _edit(visitor, comment, "First, properly.")  # the same text again: nothing to keep
    _edit(visitor, comment, "First, properly, with a *source*.")
    assert _revisions(comment) == ["Frist!", "First, properly."]

    history = visitor.get(f"/c/{course.slug}/comments/{comment.id}/revisions").get_data(as_text=True)
    texts = re.findall(r'<pre class="revision-body">(.*?)</pre>', history, re.DOTALL)
    assert texts == ["First, properly, with a *source*.", "First, properly.", "Frist!"]  # now, then newest first


def test_earlier_versions_are_for_the_author_and_staff_only(make_visitor, client):
    course, post = _discussion()
    author = factories.member(course, name="Ada")
    comment = factories.comment(post, author, "What I said first.", anonymous=True)
    _edit(make_visitor(author), comment, "What I meant.")
    url = f"/c/{course.slug}/comments/{comment.id}/revisions"
    link = f'<a class="edited" href="../comments/{comment.id}/revisions">edited · earlier versions</a>'

    for person in (author, factories.instructor_of(course), factories.member(course, Role.ASSISTANT)):
        visitor = make_visitor(person)
        assert link in _page(visitor, post)
        response = visitor.get(url)
        assert response.status_code == 200 and "What I said first." in response.get_data(as_text=True)

    classmate = make_visitor(factories.member(course))
    page = _page(classmate, post)
    assert link not in page and '<span class="edited">(edited)</span>' in page
    assert "What I said first." not in page
    assert classmate.get(url).status_code == 403
    assert make_visitor(factories.user()).get(url).status_code == 404  # not a member of the course
    signed_out = client.get(url)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_a_held_comments_history_is_not_found_by_classmates(make_visitor):
    course, post = _discussion()
    author = factories.member(course)
    comment = factories.comment(post, author, "Held first.", visibility=Visibility.HELD)
    _edit(make_visitor(author), comment, "Held, edited.")
    url = f"/c/{course.slug}/comments/{comment.id}/revisions"
    assert make_visitor(factories.member(course)).get(url).status_code == 404
    assert make_visitor(author).get(url).status_code == 200


def test_deleting_a_comment_permanently_deletes_its_earlier_versions(make_visitor):
    course, post = _discussion()
    author = factories.member(course)
    comment = factories.comment(post, author, "Regrettable.")
    _edit(make_visitor(author), comment, "Less regrettable.")
    assert len(_revisions(comment)) == 1
    comment_id = comment.id
    instructor = make_visitor(factories.instructor_of(course))
    response = instructor.post(f"/c/{course.slug}/comments/{comment_id}/remove", {"reason": "Off topic"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment_id) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(CommentRevision)) == 0


def test_staff_still_read_a_deleted_comments_earlier_versions_and_students_do_not(make_visitor):
    course, post = _discussion()
    author = factories.member(course, name="Ada")
    comment = factories.comment(post, author, "What I said first.")
    visitor = make_visitor(author)
    _edit(visitor, comment, "What I meant.")
    assert visitor.post(f"/c/{course.slug}/comments/{comment.id}/delete", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).deleted_at is not None
    url = f"/c/{course.slug}/comments/{comment.id}/revisions"

    for person in (factories.instructor_of(course), factories.member(course, Role.ASSISTANT)):
        response = make_visitor(person).get(url)
        assert response.status_code == 200
        history = response.get_data(as_text=True)
        assert "What I said first." in history and "What I meant." in history
        assert "This comment was deleted" in history
    for person in (author, factories.member(course)):
        assert make_visitor(person).get(url).status_code == 404
    # Everything else about a deleted comment stays not found, for staff too.
    instructor = make_visitor(factories.instructor_of(course))
    assert instructor.get(f"/c/{course.slug}/comments/{comment.id}/edit").status_code in (403, 404)
    assert instructor.get(f"/c/{course.slug}/comments/{comment.id}/reply").status_code == 404
