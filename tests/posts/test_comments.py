"""Comments and replies through the post page's forms: nesting, the depth cap, editing, deleting and the header."""

import re

from board.extensions import db
from board.models import Comment, Visibility
from tests import factories

_ITEM = re.compile(r'<li class="comment depth-(\d)( placeholder)?" id="comment-(\d+)">')


def _page(visitor, post) -> str:
    response = visitor.get(f"/c/{post.course.slug}/posts/{post.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _thread(page: str) -> list[tuple[int, int]]:
    """(comment id, shown depth) for each comment on the page, in page order."""
    return [(int(comment_id), int(depth)) for depth, _, comment_id in _ITEM.findall(page)]


def _item(page: str, comment_id: int) -> str:
    """The HTML of one comment, up to the next one (or the end of the list)."""
    start = page.index(f'id="comment-{comment_id}"')
    following = _ITEM.search(page, start)
    end = following.start() if following else page.index("</ol>", start)
    return page[start:end]


def _comment(visitor, post, body: str, parent_id: int | None = None):
    """Post the comment form, or the reply form of comment `parent_id` (checking the page links to its reply page,
    and that page offers the form, as a browser without JavaScript would use them)."""
    if parent_id is not None:
        assert f'comments/{parent_id}/reply"' in _page(visitor, post), "no reply link for that comment"
        reply_page = visitor.get(f"/c/{post.course.slug}/comments/{parent_id}/reply").get_data(as_text=True)
        assert f'name="parent_id" value="{parent_id}"' in reply_page, "no reply form for that comment"
    data = {"body": body} | ({"parent_id": str(parent_id)} if parent_id is not None else {})
    return visitor.post(f"/c/{post.course.slug}/posts/{post.id}/comments", data)


def _new_id(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.search(r"#comment-(\d+)$", response.headers["Location"]).group(1))


def _comments() -> list[Comment]:
    db.session.expire_all()
    return db.session.scalars(db.select(Comment).order_by(Comment.id)).all()


def _discussion():
    course = factories.course()
    post = factories.response(course, factories.member(course), factories.reading(course), title="Work as dignity")
    return course, post


def test_student_comments_and_replies_through_the_forms(make_visitor):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada"), factories.member(course, name="Boris")
    first = _new_id(_comment(make_visitor(ada), post, "The brick-laying scene is *joyful*."))
    reply = _new_id(_comment(make_visitor(boris), post, "Or is it coping?", parent_id=first))
    stored = {comment.id: comment for comment in _comments()}
    assert (stored[first].parent_id, stored[first].depth, stored[first].author_id) == (None, 1, ada.id)
    assert (stored[reply].parent_id, stored[reply].depth, stored[reply].author_id) == (first, 2, boris.id)
    page = _page(make_visitor(factories.member(course)), post)
    assert _thread(page) == [(first, 1), (reply, 2)]
    assert "<em>joyful</em>" in _item(page, first) and "Ada" in _item(page, first)
    assert "Or is it coping?" in _item(page, reply) and "Boris" in _item(page, reply)


def test_replies_sit_under_their_parent_oldest_first(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    first = _new_id(_comment(student, post, "First"))
    second = _new_id(_comment(student, post, "Second"))
    reply_to_second = _new_id(_comment(student, post, "Reply to second", parent_id=second))
    reply_to_first = _new_id(_comment(student, post, "Reply to first", parent_id=first))
    later_reply_to_first = _new_id(_comment(student, post, "Later reply to first", parent_id=first))
    reply_to_reply = _new_id(_comment(student, post, "Reply to the reply", parent_id=reply_to_first))
    assert _thread(_page(student, post)) == [
        (first, 1),
        (reply_to_first, 2),
        (reply_to_reply, 3),
        (later_reply_to_first, 2),
        (second, 1),
        (reply_to_second, 2),
    ]


def test_replies_past_the_fifth_level_stay_there_and_say_whom_they_answer(make_visitor):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada Lovelace"), factories.member(course, name="Boris Pasternak")
    visitors = {ada.id: make_visitor(ada), boris.id: make_visitor(boris)}
    chain: list[int] = []
    for n in range(7):
        author = ada if n % 2 == 0 else boris
        chain.append(
            _new_id(_comment(visitors[author.id], post, f"Turn {n + 1}", parent_id=chain[-1] if chain else None))
        )
    page = _page(make_visitor(factories.member(course)), post)
    assert _thread(page) == list(zip(chain, [1, 2, 3, 4, 5, 5, 5]))
    for comment_id in chain[:4]:
        assert "in reply to" not in _item(page, comment_id)
    # From the fifth level on they link to it (the nesting no longer shows which comment that is).
    assert f'<a class="in-reply-to" href="#comment-{chain[3]}">in reply to Boris Pasternak</a>' in _item(page, chain[4])
    assert f'<a class="in-reply-to" href="#comment-{chain[4]}">in reply to Ada Lovelace</a>' in _item(page, chain[5])
    assert f'<a class="in-reply-to" href="#comment-{chain[5]}">in reply to Boris Pasternak</a>' in _item(page, chain[6])


def test_a_deep_reply_under_a_hidden_comment_does_not_name_its_author(make_visitor):
    course, post = _discussion()
    ada, boris = factories.member(course, name="Ada Lovelace"), factories.member(course, name="Boris Pasternak")
    chain = [factories.comment(post, ada, "Turn 1")]
    for n in range(2, 7):
        chain.append(
            factories.comment(
                post,
                boris if n == 5 else ada,
                f"Turn {n}",
                parent=chain[-1],
                visibility=Visibility.HIDDEN if n == 5 else Visibility.VISIBLE,
            )
        )
    classmate_page = _page(make_visitor(factories.member(course)), post)
    assert "Comment hidden by a moderator." in _item(classmate_page, chain[4].id)
    assert "Boris" not in classmate_page
    assert "in reply to" not in _item(classmate_page, chain[5].id)
    instructor_page = _page(make_visitor(factories.instructor_of(course)), post)
    assert "in reply to Boris Pasternak</a>" in _item(instructor_page, chain[5].id)


def test_author_edits_own_comment_and_it_shows_as_edited(make_visitor):
    course, post = _discussion()
    author = make_visitor(factories.member(course))
    comment_id = _new_id(_comment(author, post, "Frist!"))
    classmate = make_visitor(factories.member(course))
    assert "(edited)" not in _item(_page(classmate, post), comment_id)
    edit_page = author.get(f"/c/{course.slug}/comments/{comment_id}/edit").get_data(as_text=True)
    assert "Frist!" in edit_page

    response = author.post(f"/c/{course.slug}/comments/{comment_id}/edit", {"body": "First, properly."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#comment-{comment_id}")
    item = _item(_page(classmate, post), comment_id)
    assert "First, properly." in item and "Frist!" not in item
    assert "(edited)" in item
    [comment] = _comments()
    assert comment.edited_at is not None and comment.body_html == "<p>First, properly.</p>\n"


def test_others_cannot_edit_a_comment(make_visitor):
    course, post = _discussion()
    comment_id = _new_id(_comment(make_visitor(factories.member(course)), post, "Mine."))
    url = f"/c/{course.slug}/comments/{comment_id}/edit"
    for other in (factories.member(course), factories.instructor_of(course)):
        visitor = make_visitor(other)
        assert visitor.get(url).status_code == 403
        assert visitor.post(url, {"body": "Not yours."}).status_code == 403
    outsider = make_visitor(factories.user())
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"body": "Not yours."}).status_code == 404
    [comment] = _comments()
    assert (comment.body_md, comment.edited_at) == ("Mine.", None)


def test_edited_comment_cannot_be_emptied(make_visitor):
    course, post = _discussion()
    author = make_visitor(factories.member(course))
    comment_id = _new_id(_comment(author, post, "Keep me."))
    response = author.post(f"/c/{course.slug}/comments/{comment_id}/edit", {"body": "   "})
    assert "Write something first." in response.get_data(as_text=True)
    assert _comments()[0].body_md == "Keep me."


def test_author_deletes_own_comment(make_visitor):
    course, post = _discussion()
    author = make_visitor(factories.member(course))
    kept = _new_id(_comment(author, post, "Kept"))
    gone = _new_id(_comment(author, post, "Said too much"))
    response = author.post(f"/c/{course.slug}/comments/{gone}/delete")
    assert response.status_code == 302
    page = _page(make_visitor(factories.member(course)), post)
    assert _thread(page) == [(kept, 1)]
    assert "Said too much" not in page and "Comment deleted." not in page
    assert "1 thought on “Work as dignity”" in page
    assert author.post(f"/c/{course.slug}/comments/{gone}/delete").status_code == 404


def test_others_cannot_delete_a_comment(make_visitor):
    course, post = _discussion()
    comment_id = _new_id(_comment(make_visitor(factories.member(course)), post, "Still here."))
    url = f"/c/{course.slug}/comments/{comment_id}/delete"
    assert make_visitor(factories.member(course)).post(url).status_code == 403
    assert make_visitor(factories.user()).post(url).status_code == 404
    [comment] = _comments()
    assert comment.deleted_at is None
    assert "Still here." in _page(make_visitor(factories.member(course)), post)


def test_deleted_comment_with_replies_leaves_a_placeholder_and_keeps_the_replies(make_visitor):
    course, post = _discussion()
    author = make_visitor(factories.member(course, name="Ada"))
    replier = make_visitor(factories.member(course, name="Boris"))
    parent = _new_id(_comment(author, post, "Hot take"))
    reply = _new_id(_comment(replier, post, "I disagree", parent_id=parent))
    author.post(f"/c/{course.slug}/comments/{parent}/delete")
    page = _page(make_visitor(factories.member(course)), post)
    assert _thread(page) == [(parent, 1), (reply, 2)]
    placeholder = _item(page, parent)
    assert "Comment deleted." in placeholder
    assert "Hot take" not in page and "Ada" not in placeholder
    assert "I disagree" in _item(page, reply)
    assert "1 thought on “Work as dignity”" in page


def test_header_counts_the_thoughts(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    assert "0 thoughts on “Work as dignity”" in _page(student, post)
    first = _new_id(_comment(student, post, "One"))
    assert "1 thought on “Work as dignity”" in _page(student, post)
    _comment(student, post, "Two", parent_id=first)
    assert "2 thoughts on “Work as dignity”" in _page(student, post)


def test_empty_comment_is_refused_with_a_clear_message(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    for body in ("", "   \n  "):
        response = _comment(student, post, body)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert '<p class="error" id="body-error">Write something first.</p>' in page
    assert _comments() == []


def test_empty_reply_is_refused_and_nothing_is_saved(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    parent = _new_id(_comment(student, post, "Parent"))
    response = _comment(student, post, "", parent_id=parent)
    assert response.status_code == 422
    assert "Write something first." in response.get_data(as_text=True)
    assert [comment.id for comment in _comments()] == [parent]


def test_comment_without_the_forms_token_is_refused(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    response = student.client.post(f"/c/{course.slug}/posts/{post.id}/comments", data={"body": "No token"})
    assert response.status_code == 400
    assert _comments() == []
    assert _comment(student, post, "With token").status_code == 302


def test_comments_cannot_be_added_to_a_draft(make_visitor):
    course = factories.course()
    author = factories.member(course)
    draft = factories.response(course, author, factories.reading(course), published=False)
    visitor = make_visitor(author)
    assert "Comments open when the post is published." in _page(visitor, draft)
    assert 'id="comment-form"' not in _page(visitor, draft)
    response = _comment(visitor, draft, "Talking to myself")
    assert response.status_code == 422
    assert "Comments open when the post is published." in response.get_data(as_text=True)
    assert _comment(make_visitor(factories.member(course)), draft, "Sneaky").status_code == 404
    assert _comments() == []


def test_comment_body_is_sanitised_when_saved(make_visitor):
    course, post = _discussion()
    student = make_visitor(factories.member(course))
    comment_id = _new_id(
        _comment(
            student,
            post,
            "See [this](https://example.org) <script>alert('x')</script>"
            '<img src="https://example.org/a.png" onerror="steal()">',
        )
    )
    [comment] = _comments()
    assert "<script" not in comment.body_html and "onerror" not in comment.body_html
    item = _item(_page(make_visitor(factories.member(course)), post), comment_id)
    assert 'href="https://example.org" rel="nofollow ugc noopener"' in item
    assert "<script" not in item and "alert(" not in item and "steal()" not in item


def test_reply_to_a_comment_elsewhere_is_refused(make_visitor):
    course, post = _discussion()
    other_post = factories.response(course, factories.member(course), factories.reading(course))
    other_course = factories.course()
    foreign = factories.comment(factories.reading(other_course), factories.member(other_course))
    student = make_visitor(factories.member(course))
    elsewhere = _new_id(_comment(student, other_post, "On the other post"))
    url = f"/c/{course.slug}/posts/{post.id}/comments"
    response = student.post(url, {"body": "Crossed wires", "parent_id": str(elsewhere)})
    assert response.status_code == 422
    assert "That comment belongs to another post." in response.get_data(as_text=True)
    assert student.post(url, {"body": "Foreign", "parent_id": str(foreign.id)}).status_code == 404
    assert student.post(url, {"body": "Nonsense", "parent_id": "not-a-number"}).status_code == 404
    assert student.post(url, {"body": "Too big", "parent_id": str(2**70)}).status_code == 404
    assert [comment.id for comment in _comments()] == [foreign.id, elsewhere]


def test_reply_to_a_deleted_comment_keeps_the_text_and_offers_it_as_a_comment(make_visitor):
    course, post = _discussion()
    author = make_visitor(factories.member(course))
    parent = _new_id(_comment(author, post, "Gone soon"))
    author.post(f"/c/{course.slug}/comments/{parent}/delete")
    response = make_visitor(factories.member(course)).post(
        f"/c/{course.slug}/posts/{post.id}/comments", {"body": "Too late", "parent_id": str(parent)}
    )
    assert response.status_code == 422
    assert "The comment you replied to was deleted or hidden meanwhile." in response.get_data(as_text=True)
    assert [comment.id for comment in _comments()] == [parent]
