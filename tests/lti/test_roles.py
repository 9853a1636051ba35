"""Role mapping by principal role (review finding 4): a sub-role's fragment never lifts a learner to instructor;
only Instructor#TeachingAssistant… sub-roles make an assistant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.lti.demo_platform import INSTRUCTOR, LEARNER, ROLE
from board.lti.people import board_role
from board.models import Membership, Role, User

from .test_deep_linking import _post

SUB = ROLE[:-1] + "/"  # …/membership/<Principal>#<SubRole>


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([ROLE + "Learner", SUB + "Learner#Instructor"], Role.STUDENT),
        ([SUB + "Learner#Instructor"], Role.STUDENT),
        ([SUB + "Learner#TeachingAssistant"], Role.STUDENT),
        ([SUB + "Mentor#Instructor"], None),
        ([SUB + "Mentor#Administrator"], None),
        ([ROLE + "Instructor", SUB + "Instructor#TeachingAssistant"], Role.ASSISTANT),
        ([ROLE + "Instructor", SUB + "Instructor#TeachingAssistantSection"], Role.ASSISTANT),
        ([SUB + "Instructor#TeachingAssistantOffering"], Role.ASSISTANT),
        ([SUB + "Instructor#Lecturer"], Role.INSTRUCTOR),
        ([SUB + "Instructor#PrimaryInstructor"], Role.INSTRUCTOR),
        ([SUB + "Administrator#Support"], Role.INSTRUCTOR),
        ([SUB + "ContentDeveloper#Librarian"], Role.INSTRUCTOR),
        ([ROLE + "TeachingAssistant"], None),  # not a principal role in LIS v2
        (["Instructor"], Role.INSTRUCTOR),
        (["Learner"], Role.STUDENT),
        ([ROLE + "Learner#Instructor"], None),  # not a role URI at all
        ([SUB + "#Instructor"], None),
    ],
)
def test_roles_map_by_principal_role(roles, expected):
    assert board_role(roles) == expected


def test_learner_with_an_instructor_sub_role_launches_as_a_student(lms, lms_browser):
    teacher = lms_browser()
    teacher.follow(teacher.open_from_lms(lms.launch_spec("teacher-1", INSTRUCTOR)))
    assert _post(teacher, "/lti/course-setup", {"choice": "new"}).status_code == 302
    roles = [*LEARNER, SUB + "Learner#Instructor"]
    response = lms_browser().open_from_lms(lms.launch_spec("student-1", roles, name="Mallory"))
    assert response.status_code == 303, response.get_data(as_text=True)
    mallory = db.session.scalar(select(User).where(User.display_name == "Mallory"))
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == mallory.id)) == Role.STUDENT
