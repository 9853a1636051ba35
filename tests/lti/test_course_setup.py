"""One LMS course per Board course (review finding 11): a course setup that races another one linking the same Board
course gets the clear 409 page, and the course stays linked once."""

from __future__ import annotations

from sqlalchemy import event, func, insert, select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR
from board.lti.models import LtiContext, LtiPlatform
from board.models import User, utcnow
from tests import factories

from .test_deep_linking import _TOKEN


def test_racing_setup_of_the_same_board_course_gets_the_clear_page(lms, lms_browser):
    browser = lms_browser()
    browser.follow(browser.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR, name="Ada")))
    ada = db.session.scalar(select(User).where(User.display_name == "Ada"))
    mine = factories.course(ada, title="Ada's course")
    platform_id = db.session.scalar(select(LtiPlatform.id))
    page = browser.client.get("/lti/course-setup", base_url=browser.board_url).get_data(as_text=True)
    assert "Ada&#39;s course" in page

    # Between this setup's checks and its insert, another setup (another LMS course, another worker) links the
    # same Board course and commits first.
    raced = []

    def other_setup_commits_first(conn, cursor, statement, parameters, context, executemany):
        if raced or not statement.lstrip().upper().startswith("INSERT INTO LTI_CONTEXTS"):
            return
        raced.append(True)
        with db.engine.connect() as other:
            other.execute(
                insert(LtiContext).values(
                    platform_id=platform_id,
                    context_id="course-202",
                    course_id=mine.id,
                    title="Other",
                    created_at=utcnow(),
                )
            )
            other.commit()

    event.listen(db.engine, "before_cursor_execute", other_setup_commits_first)
    try:
        response = browser.client.post(
            "/lti/course-setup",
            data={"csrf_token": _TOKEN.search(page).group(1), "choice": "existing", "course_id": str(mine.id)},
            base_url=browser.board_url,
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", other_setup_commits_first)
    assert raced
    assert response.status_code == 409, response.get_data(as_text=True)
    assert "already setting this up" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LtiContext).where(LtiContext.course_id == mine.id)) == 1
