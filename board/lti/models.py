"""LTI tables: platforms and their deployments, Board's own keys, used nonces, the links from an LMS user or
course (context) to a Board account or course, and the memberships the LMS made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, utcnow


class LtiPlatform(db.Model):
    """An LMS registered by a site admin: where its sign-in, token and key endpoints are, and Board's client id there."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    key_set_url: Mapped[str] = mapped_column(String(500))
    # The audience of Board's client assertion when the token endpoint wants another than its own URL (Brightspace:
    # https://api.brightspace.com/auth/token); None: the token URL.
    auth_audience: Mapped[str | None] = mapped_column(String(500))
    # More web origins whose pages may show Board in a frame, space-separated: the LMS's own address when it differs
    # from the issuer's (Canvas: https://yourschool.instructure.com, while the issuer is canvas.instructure.com).
    frame_origins: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The platform's key set as last fetched, kept only as long as its Cache-Control/Expires headers allowed.
    key_set_json: Mapped[str | None] = mapped_column(Text)
    key_set_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", passive_deletes=True, order_by="LtiDeployment.id"
    )


class LtiDeployment(db.Model):
    """One deployment id the platform may send (an LMS can install the same tool several times)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiKey(db.Model):
    """One of Board's RSA signing keys. The newest unretired key signs; retired keys stay published for a while."""

    __tablename__ = "lti_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LtiUsedNonce(db.Model):
    """A launch's nonce, recorded when the launch is accepted so that the same id_token is never accepted twice, by
    any worker on any host (they share the database)."""

    __tablename__ = "lti_used_nonces"
    __table_args__ = (UniqueConstraint("platform_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LtiAccount(db.Model):
    """The LMS user (issuer, sub) behind a Board account."""

    __tablename__ = "lti_accounts"
    __table_args__ = (UniqueConstraint("platform_id", "sub"), UniqueConstraint("platform_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiContext(db.Model):
    """An LMS course (context) and the Board course it opens, with the service endpoints its launches named."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    # One LMS course per Board course: two racing setups cannot link one course twice.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True, unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(500))
    lineitems_url: Mapped[str | None] = mapped_column(String(500))
    # The AGS scopes the latest launch granted, space-separated (Board asks for no others); None: not known yet.
    ags_scopes: Mapped[str | None] = mapped_column(Text)
    # The LMS link (resource link id) the course was set up from: the roster sync asks for the members who can open
    # it (NRPS `rlid`), so a link the LMS shows to one section brings that section only. None: the whole LMS course.
    resource_link_id: Mapped[str | None] = mapped_column(String(255))
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sync_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiMembership(db.Model):
    """A membership the LMS made: a launch or a roster sync of this LMS course enrolled the person. Roster sync
    removes only these when the person leaves the LMS course; a member who joined by code (or created the course, or
    was imported) has none and is never removed by a sync, whatever LMS accounts they have."""

    __tablename__ = "lti_memberships"

    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiPendingIdentity(db.Model):
    """A checked launch of an LMS user Board has not seen, waiting (a few minutes, once) for the person to choose on
    a page of Board's own site: link it to the account signed in there, or make a new account. The platform's launch
    is a cross-site post, which carries no Board session; so the choice is made after it, where the session is."""

    __tablename__ = "lti_pending_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in the page's address
    secret_hash: Mapped[str] = mapped_column(String(64))  # the secret itself is in this browser's /lti/ cookie
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    claims: Mapped[str] = mapped_column(Text)  # the id_token's claims, JSON
    login_params: Mapped[str] = mapped_column(Text, default="{}")  # to start again in a new window, JSON
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LtiLineItem(db.Model):
    """The LMS gradebook column (AGS line item) of a graded reading, made by Board or chosen by deep linking."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("context_id", "reading_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    reading_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiScore(db.Model):
    """The version of a grade the LMS has (sent and accepted), so a grade is sent again only when it changed."""

    __tablename__ = "lti_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
