"""Tables of the register.

``requests`` holds each letter as received; ``events`` every transition and annotation;
``pipeline_journal`` every provisioning stage before and after it runs; ``agenda`` every
outgoing paper's number. Rows of these four are never updated or deleted (database triggers
refuse it). ``locks`` is the only mutable
table: who is provisioning a request right now.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RequestRow(Base):
    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_requests_year_seq"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    opd: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(16))
    letter_json: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("request_id", "seq", name="uq_events_request_seq"),
        Index("ix_events_request", "request_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    outputs_json: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalRow(Base):
    __tablename__ = "pipeline_journal"
    __table_args__ = (Index("ix_pipeline_journal_request", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    run_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    data_json: Mapped[str] = mapped_column(Text, default="{}")


class LockRow(Base):
    __tablename__ = "locks"

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AgendaRow(Base):
    """The agenda (register of outgoing letters): one number per issued paper version."""

    __tablename__ = "agenda"
    __table_args__ = (UniqueConstraint("kind", "year", "seq", name="uq_agenda_kind_year_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MetaRow(Base):
    """Register metadata (key -> value), e.g. the register's identity."""

    __tablename__ = "register_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    """Mail waiting to be sent (or sent): queued in the same transaction as its step.

    Mutable like ``locks``: ``notify`` claims a row (``claim_token``, ``claimed_until``), sends
    it, then marks it sent in the transaction that records the ``mail`` event in the trail.
    ``dedup_key`` makes a reminder (one per step entered, per kind) queue once however many
    ``notify`` runs see it.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_mail_outbox_dedup_key"),
        Index("ix_mail_outbox_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    event_seq: Mapped[int] = mapped_column(Integer)  # the step event it is about
    step: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # turn, due-soon, overdue, rejected, done, ...
    dedup_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(100))  # username, or "opd" for the letter's contact
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    attachments_json: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AccountRow(Base):
    """A web login of a users-file person: the password's argon2 hash and the lockout count."""

    __tablename__ = "web_accounts"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie's token (never the token), its CSRF token."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_username", "username"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
