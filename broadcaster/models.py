"""The station's data: SQLAlchemy 2.x typed models.

Every record that a district hub will later exchange carries a ``uid`` (UUID) besides its local
integer id, and belongs to a ``Station``. Times are aware UTC (:class:`UTCDateTime`); local wall
times (a schedule's 05:30) are stored as plain ``time`` and read in the station's timezone.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, new_uid, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the value strings (stable, readable in SQL) and keep a CHECK constraint.
    return Enum(
        cls,
        name=cls.__name__.lower(),
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=True,
        length=24,
        validate_strings=True,
    )


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    APPROVER = "approver"
    OPERATOR = "operator"


ROLE_LABELS = {
    Role.ADMIN: "Quản trị",
    Role.EDITOR: "Biên tập viên",
    Role.APPROVER: "Lãnh đạo duyệt",
    Role.OPERATOR: "Trực đài",
}


class SegmentKind(enum.StrEnum):
    CCHC_NEWS = "cchc_news"
    GOOD_EXAMPLE = "good_example"
    PROCEDURE = "procedure"
    HOTLINE = "hotline"
    RELAY = "relay"
    JINGLE = "jingle"
    EMERGENCY = "emergency"


KIND_LABELS = {
    SegmentKind.CCHC_NEWS: "Tin cải cách hành chính",
    SegmentKind.GOOD_EXAMPLE: "Nêu gương người tốt, việc tốt",
    SegmentKind.PROCEDURE: "Hướng dẫn thủ tục hành chính",
    SegmentKind.HOTLINE: "Đường dây nóng",
    SegmentKind.RELAY: "Tiếp phát sóng",
    SegmentKind.JINGLE: "Nhạc hiệu, lời chào",
    SegmentKind.EMERGENCY: "Thông báo khẩn cấp",
}


class CchcArea(enum.StrEnum):
    INSTITUTION = "institution"
    PROCEDURE = "procedure"
    APPARATUS = "apparatus"
    CIVIL_SERVICE = "civil_service"
    PUBLIC_FINANCE = "public_finance"
    DIGITAL_GOVERNMENT = "digital_government"


AREA_LABELS = {
    CchcArea.INSTITUTION: "Cải cách thể chế",
    CchcArea.PROCEDURE: "Cải cách thủ tục hành chính",
    CchcArea.APPARATUS: "Cải cách tổ chức bộ máy",
    CchcArea.CIVIL_SERVICE: "Cải cách chế độ công vụ",
    CchcArea.PUBLIC_FINANCE: "Cải cách tài chính công",
    CchcArea.DIGITAL_GOVERNMENT: "Xây dựng chính quyền điện tử, chính quyền số",
}


class SegmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"


STATUS_LABELS = {
    SegmentStatus.DRAFT: "Bản nháp",
    SegmentStatus.SUBMITTED: "Chờ duyệt",
    SegmentStatus.APPROVED: "Đã duyệt",
    SegmentStatus.REJECTED: "Bị trả lại",
    SegmentStatus.ARCHIVED: "Lưu trữ",
}


class Priority(enum.StrEnum):
    """Bulletin levels of Circular 39/2020/TT-BTTTT."""

    NORMAL = "normal"
    PRIORITY = "priority"
    EMERGENCY = "emergency"


PRIORITY_LABELS = {
    Priority.NORMAL: "Thông thường",
    Priority.PRIORITY: "Ưu tiên",
    Priority.EMERGENCY: "Khẩn cấp",
}
PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.PRIORITY: 1, Priority.NORMAL: 2}


class Recurrence(enum.StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY_DAY = "monthly_day"
    MONTHLY_NTH = "monthly_nth"


RECURRENCE_LABELS = {
    Recurrence.ONCE: "Một lần",
    Recurrence.DAILY: "Hằng ngày",
    Recurrence.WEEKLY: "Hằng tuần",
    Recurrence.MONTHLY_DAY: "Một ngày cố định trong tháng",
    Recurrence.MONTHLY_NTH: "Thứ … của tuần thứ … trong tháng",
}
#: Monday first, as Python's weekday() counts.
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


class ItemType(enum.StrEnum):
    SEGMENT = "segment"
    CHIME = "chime"
    PAUSE = "pause"
    RELAY = "relay"  # a live stream (tiếp sóng) aired for a set length


#: What a relay item airs while its stream does not open, drops or is silent, as the editor names it.
RELAY_FALLBACKS = {
    "silence": "Im lặng",
    "item": "Một tệp hoặc mục của đài",
    "next": "Các mục tiếp theo của chương trình",
}


class AirStatus(enum.StrEnum):
    PENDING = "pending"
    PLAYING = "playing"
    PLAYED = "played"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    MISSED = "missed"
    SKIPPED = "skipped"


AIR_STATUS_LABELS = {
    AirStatus.PENDING: "Chờ phát",
    AirStatus.PLAYING: "Đang phát",
    AirStatus.PLAYED: "Đã phát",
    AirStatus.INTERRUPTED: "Bị ngắt",
    AirStatus.FAILED: "Lỗi",
    AirStatus.MISSED: "Bỏ lỡ",
    AirStatus.SKIPPED: "Bỏ qua",
}


class Origin(enum.StrEnum):
    """Where a row was written: here, or at the district hub (then it is read-only here)."""

    LOCAL = "local"
    HUB = "hub"


class Station(Base):
    """A commune station: the identity every record is tied to.

    At a station the table holds its own row; at the district hub it is the registry of the
    stations it serves (commune, district, groups, their last contact), beside the hub's own row.
    """

    __tablename__ = "stations"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    commune: Mapped[str] = mapped_column(String(200), default="", server_default="")
    district: Mapped[str] = mapped_column(String(200), default="", server_default="")
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Hub side: when the station last called, and the status it reported then.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[dict | None] = mapped_column(JSON)
    #: Hub side, from the live link: what the station's last presence message said, when, and
    #: its heartbeat period (a station silent for 2.5 periods counts as offline).
    presence_online: Mapped[bool | None] = mapped_column(Boolean)
    presence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    presence_every: Mapped[int | None] = mapped_column(Integer)

    zones: Mapped[list[Zone]] = relationship(back_populates="station", order_by="Zone.id")


class Zone(Base):
    """A village loudspeaker cluster (or FM receiver group) fed by one sink."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("station_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    sink: Mapped[str] = mapped_column(String(500), default="auto")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    station: Mapped[Station] = relationship(back_populates="zones")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(_enum(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ics_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Raised by a sign-out, a password change or disabling: every session signed in under an
    #: older value is over (the web's user loader compares the two).
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    """A token a machine (or the future hub) uses on /api/v1; only its hash is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class StationToken(Base):
    """A station's key to the hub's API; only its sha256 is kept. Rotating revokes the old one."""

    __tablename__ = "station_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The broker's hash of the same token (mosquitto's ``$7$`` PBKDF2-SHA512): the station's MQTT
    #: password is its token; None for a token issued before the live link.
    mqtt_hash: Mapped[str | None] = mapped_column(String(200))

    station: Mapped[Station] = relationship()


class LoginAttempt(Base):
    """Failures counted per account or per address, for login throttling."""

    __tablename__ = "login_attempts"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AudioAsset(Base):
    """A sound file on disk: rendered speech, an upload or a chime, measured once."""

    __tablename__ = "audio_assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    path: Mapped[str] = mapped_column(String(500))  # relative to the data dir's media folder
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    true_peak_dbtp: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # tts | upload | chime
    engine: Mapped[str | None] = mapped_column(String(32))
    voice: Mapped[str | None] = mapped_column(String(100))
    speed: Mapped[int | None] = mapped_column(Integer)
    cache_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    original_name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Segment(Base):
    """One item of content: text to be spoken, or an uploaded recording."""

    __tablename__ = "segments"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    origin: Mapped[Origin] = mapped_column(_enum(Origin), default=Origin.LOCAL, server_default="local")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[SegmentKind] = mapped_column(_enum(SegmentKind))
    area: Mapped[CchcArea | None] = mapped_column(_enum(CchcArea))
    procedure: Mapped[str | None] = mapped_column(String(100))  # e.g. "khai sinh", for reports
    audience: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[SegmentStatus] = mapped_column(
        _enum(SegmentStatus), default=SegmentStatus.DRAFT, index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    upload_asset_id: Mapped[int | None] = mapped_column(ForeignKey("audio_assets.id"))
    render_asset_id: Mapped[int | None] = mapped_column(ForeignKey("audio_assets.id"))
    chime_before: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    upload_asset: Mapped[AudioAsset | None] = relationship(foreign_keys=[upload_asset_id])
    render_asset: Mapped[AudioAsset | None] = relationship(foreign_keys=[render_asset_id])

    @property
    def audio(self) -> AudioAsset | None:
        """The sound that airs: an upload wins over speech rendered from the text."""
        return self.upload_asset or self.render_asset


class Programme(Base):
    """An ordered running order of segments, chimes and pauses."""

    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    origin: Mapped[Origin] = mapped_column(_enum(Origin), default=Origin.LOCAL, server_default="local")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    month: Mapped[str | None] = mapped_column(String(7))  # "2026-11" for a monthly CCHC column
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="programme", order_by="ProgrammeItem.position", cascade="all, delete-orphan"
    )


class ProgrammeItem(Base):
    __tablename__ = "programme_items"
    __table_args__ = (UniqueConstraint("programme_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_type: Mapped[ItemType] = mapped_column(_enum(ItemType))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    chime: Mapped[str | None] = mapped_column(String(64))  # name of a chime in audio/
    pause_ms: Mapped[int | None] = mapped_column(Integer)
    stream_url: Mapped[str | None] = mapped_column(String(1000))  # a relay item's stream
    duration_s: Mapped[int | None] = mapped_column(Integer)  # how long a relay item airs
    # What a relay item airs while its stream fails (RELAY_FALLBACKS); NULL: the station's choice
    # (BROADCASTER_RELAY_FALLBACK, else silence). "item" airs ``fallback_segment``.
    fallback: Mapped[str | None] = mapped_column(String(16))
    fallback_segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))

    programme: Mapped[Programme] = relationship(back_populates="items")
    segment: Mapped[Segment | None] = relationship(foreign_keys=[segment_id])
    fallback_segment: Mapped[Segment | None] = relationship(foreign_keys=[fallback_segment_id])


schedule_zones = Table(
    "schedule_zones",
    Base.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
)


class Schedule(Base):
    """When a programme airs: a recurrence in the station's local time, on some zones."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    origin: Mapped[Origin] = mapped_column(_enum(Origin), default=Origin.LOCAL, server_default="local")
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    recurrence: Mapped[Recurrence] = mapped_column(_enum(Recurrence))
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)  # 0 = Monday … 6 = Sunday
    month_day: Mapped[int | None] = mapped_column(Integer)  # 1..31 for monthly_day
    nth: Mapped[int | None] = mapped_column(Integer)  # 1..5, or -1 for last, for monthly_nth
    nth_weekday: Mapped[int | None] = mapped_column(Integer)  # 0..6 for monthly_nth
    start_time: Mapped[time] = mapped_column(Time)  # local wall time
    window_minutes: Mapped[int] = mapped_column(Integer, default=30)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    skip_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    replay_count: Mapped[int] = mapped_column(Integer, default=1)
    replay_gap_s: Mapped[int] = mapped_column(Integer, default=0)
    #: The one local day the repeats are for (other days air once); None: every airing day.
    replay_on: Mapped[date | None] = mapped_column(Date)
    #: None: the station's grace (``misfire_grace`` of :func:`broadcaster.rules.effective_config`).
    misfire_grace_s: Mapped[int | None] = mapped_column(Integer, default=None)
    overrun: Mapped[str] = mapped_column(String(16), default="stop")  # stop | fade | allow
    on_interrupt: Mapped[str] = mapped_column(String(16), default="resume")  # resume | log
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship()
    zones: Mapped[list[Zone]] = relationship(secondary=schedule_zones, order_by="Zone.id")
    #: Hub side: the stations a district airing is for (empty at a station).
    targets: Mapped[list[Station]] = relationship(secondary="schedule_targets", order_by="Station.code")


schedule_targets = Table(
    "schedule_targets",
    Base.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
)


class Occurrence(Base):
    """One planned airing of a programme on one zone, and what became of it.

    Its identity (schedule, zone, scheduled time) is unique: that is what makes a double play
    impossible. Ad-hoc plays (``broadcaster play``, emergencies) have no schedule and a fresh uid.
    """

    __tablename__ = "occurrences"
    __table_args__ = (
        UniqueConstraint("schedule_id", "zone_id", "scheduled_at", name="uq_occurrences_identity"),
        Index("ix_occurrences_station_scheduled", "station_id", "scheduled_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replay_index: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[AirStatus] = mapped_column(_enum(AirStatus), default=AirStatus.PENDING, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    on_duty: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    schedule: Mapped[Schedule | None] = relationship()
    programme: Mapped[Programme | None] = relationship()
    zone: Mapped[Zone | None] = relationship()
    entries: Mapped[list[AsRunEntry]] = relationship(
        back_populates="occurrence", order_by="AsRunEntry.position"
    )


class AsRunEntry(Base):
    """One item as it really aired: written ``playing`` before the first sample, completed after.

    Kind, area, procedure and title are copied at air time so the proof of broadcast does not
    change when a segment is edited later.
    """

    __tablename__ = "as_run_entries"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "position", "attempt", name="uq_as_run_item"),
        Index("ix_as_run_station_started", "station_id", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    item_type: Mapped[ItemType] = mapped_column(_enum(ItemType))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    title: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[SegmentKind | None] = mapped_column(_enum(SegmentKind))
    area: Mapped[CchcArea | None] = mapped_column(_enum(CchcArea))
    procedure: Mapped[str | None] = mapped_column(String(100))
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[AirStatus] = mapped_column(_enum(AirStatus), default=AirStatus.PLAYING, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # A relay item: how much of it was the stream, and how much the fallback filled (NULL otherwise).
    relayed_ms: Mapped[int | None] = mapped_column(Integer)
    filled_ms: Mapped[int | None] = mapped_column(Integer)
    sink: Mapped[str | None] = mapped_column(String(500))
    #: When the district hub acknowledged this row (None: still to send; never deleted here).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    occurrence: Mapped[Occurrence] = relationship(back_populates="entries")
    segment: Mapped[Segment | None] = relationship()


class HubAsRun(Base):
    """Hub side: one as-run row a station sent, kept by its uid (a repeat is ignored)."""

    __tablename__ = "hub_as_run"
    __table_args__ = (Index("ix_hub_as_run_station_started", "station_id", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    occurrence_uid: Mapped[str] = mapped_column(String(36))
    schedule_uid: Mapped[str | None] = mapped_column(String(36), index=True)
    origin: Mapped[Origin] = mapped_column(_enum(Origin), default=Origin.LOCAL)
    position: Mapped[int] = mapped_column(Integer, default=0)
    item_type: Mapped[ItemType] = mapped_column(_enum(ItemType))
    title: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[SegmentKind | None] = mapped_column(_enum(SegmentKind))
    area: Mapped[CchcArea | None] = mapped_column(_enum(CchcArea))
    procedure: Mapped[str | None] = mapped_column(String(100))
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[AirStatus] = mapped_column(_enum(AirStatus))
    reason: Mapped[str | None] = mapped_column(Text)
    relayed_ms: Mapped[int | None] = mapped_column(Integer)  # as the station's row says
    filled_ms: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfferState(enum.StrEnum):
    """What the commune did with a normal-level item from the district (Circular 39: its choice)."""

    WAITING = "waiting"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the district took it back before its time


OFFER_STATE_LABELS = {
    OfferState.WAITING: "Chờ quyết định",
    OfferState.ACCEPTED: "Đã nhận phát",
    OfferState.DECLINED: "Đã từ chối",
    OfferState.WITHDRAWN: "Huyện đã rút",
}


class Offer(Base):
    """Station side: a normal-level district airing waiting for the commune's decision, and that decision.

    Its schedule (hub origin) stays switched off until accepted. The decision travels up like an
    as-run row: ``decision_uid`` names the current decision, ``synced_at`` is set only when the
    hub acknowledged that uid (a new decision gets a new uid and is sent again).
    """

    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), unique=True)
    #: When the district proposes it airs (it may move it; the commune may choose another time).
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[OfferState] = mapped_column(_enum(OfferState), default=OfferState.WAITING)
    air_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the time the commune accepted
    reason: Mapped[str | None] = mapped_column(Text)  # why it was declined
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_uid: Mapped[str | None] = mapped_column(String(36), unique=True)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    schedule: Mapped[Schedule] = relationship()


class HubOfferDecision(Base):
    """Hub side: one commune's decision on a normal-level airing, kept once by its uid."""

    __tablename__ = "hub_offer_decisions"
    __table_args__ = (Index("ix_hub_offer_decisions_schedule_station", "schedule_uid", "station_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    schedule_uid: Mapped[str] = mapped_column(String(36))
    decision: Mapped[OfferState] = mapped_column(_enum(OfferState))
    air_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Emergency(Base):
    """An emergency bulletin from the district (issue 13), at the hub and at each station it reached.

    At the hub the row is what was sent (``origin`` local); a station keeps its own copy of what it
    received (``origin`` hub, same ``uid``): the unique uid is what makes a redelivered message
    play once. The audio is named by sha256, rendered or imported once at the hub; ``text`` is what
    a station speaks with its offline voice when the audio cannot be fetched in time.
    """

    __tablename__ = "emergencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    origin: Mapped[Origin] = mapped_column(_enum(Origin), default=Origin.LOCAL)
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    audio_asset_id: Mapped[int | None] = mapped_column(ForeignKey("audio_assets.id"))
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    audio_size: Mapped[int | None] = mapped_column(Integer)
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    gap_s: Mapped[int] = mapped_column(Integer, default=0)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_by: Mapped[str | None] = mapped_column(String(64))

    audio_asset: Mapped[AudioAsset | None] = relationship()
    targets: Mapped[list[EmergencyTarget]] = relationship(
        back_populates="emergency", order_by="EmergencyTarget.id", cascade="all, delete-orphan"
    )


class EmergencyTarget(Base):
    """One station's progress with one emergency: sent → received → started → finished, or
    failed / expired / stopped, each with the station's timestamp (the hub's for ``sent_at``)."""

    __tablename__ = "emergency_targets"
    __table_args__ = (UniqueConstraint("emergency_id", "station_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="sent")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plays: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    emergency: Mapped[Emergency] = relationship(back_populates="targets")
    station: Mapped[Station] = relationship()


class HubRevision(Base):
    """Hub side: two counters PostgreSQL triggers move (migration 0009), read by every web worker.

    ``content`` moves with any change to what a manifest is made of (schedules and their targets,
    programmes, items, segments, audio); ``tokens`` with any change to station tokens or a station's
    code. A worker's caches are keyed by them, so a change is seen on the next request everywhere.
    One row (id 1). On SQLite nothing moves them and nothing is cached.
    """

    __tablename__ = "hub_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[int] = mapped_column(BigInteger, default=0)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)


class HubRate(Base):
    """Hub side: each station's request budget, shared by all web workers (GCRA: ``tat`` is the
    theoretical arrival time, epoch seconds). Unlogged on PostgreSQL: a crash only forgives."""

    __tablename__ = "hub_rate"
    station_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tat: Mapped[float] = mapped_column(Float)


class StationState(Base):
    """What the station daemon is doing now, written by the daemon, read by the web and CLI."""

    __tablename__ = "station_state"
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    daemon_pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_air_occurrence_id: Mapped[int | None] = mapped_column(ForeignKey("occurrences.id"))
    on_air_title: Mapped[str | None] = mapped_column(String(300))
    on_air_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on any schedule change


class ControlCommand(Base):
    """A request to the daemon (stop, play now, emergency), queued in the database.

    The database is the mailbox so that web and CLI never need the daemon to be reachable.
    """

    __tablename__ = "control_commands"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))  # stop | play | emergency | replan
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(Text)


class RenderJob(Base):
    """A render asked for (a programme's segments, one segment, or words to listen to before
    saving): the worker's queue, and the progress bar's source. ``queued`` → ``running`` (by
    ``worker_pid``) → ``done`` | ``failed``; a job left ``running`` by a worker that died is
    queued again when a worker starts."""

    __tablename__ = "render_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    force: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    worker_pid: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: The words of a listen-before-saving job (neither programme nor segment), and what it made:
    #: ``{"key", "ext", "duration_ms", "engine"}`` of the rendered file in the render cache.
    text: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Setting(Base):
    """Officer-adjustable preferences per station (engine order, voice, loudness, slots...)."""

    __tablename__ = "settings"
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Pronunciation(Base):
    """An entry of the pronunciation dictionary that overrides the shipped defaults."""

    __tablename__ = "pronunciations"
    __table_args__ = (UniqueConstraint("station_id", "term"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    term: Mapped[str] = mapped_column(String(100))
    spoken: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    """Who changed what, when, with the record before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
