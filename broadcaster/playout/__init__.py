"""Playout: plan occurrences from schedules, start them on time, play them to sinks, keep the as-run log.

Public face for the web, the reports and the demo; everything else is in private modules.
"""

from ..rules import describe, expand, expand_occurrences, overrun_warning, validate_schedule, window_end
from ._asrun import CRASH_REASON
from ._clock import Clock, JumpDetector, OffsetClock, sd_notify, wait_until
from ._conflicts import MARGIN, busy_span, find_conflicts, find_takeovers
from ._control import (
    MAX_EMERGENCY_CHARS,
    PlayoutError,
    command_result,
    daemon_alive,
    import_audio,
    on_air,
    request_emergency,
    request_play_now,
    request_replan,
    request_stop,
    upcoming,
    upcoming_select,
)
from ._daemon import Daemon, run_daemon
from ._forecast import Airing, forecast, warnings
from ._once import play_programme_once
from ._planner import bump_plan, plan
from ._player import Job, Player
from ._prepare import Content
from ._sinks import (
    SINKS,
    Sink,
    SinkError,
    auto_output,
    check_spec,
    make_sink,
    output_file,
    register_sink,
    resolve_spec,
    wav_header,
)

__all__ = [
    "MARGIN",
    "Airing",
    "busy_span",
    "find_takeovers",
    "forecast",
    "warnings",
    "MAX_EMERGENCY_CHARS",
    "CRASH_REASON",
    "SINKS",
    "Clock",
    "Content",
    "Daemon",
    "Job",
    "JumpDetector",
    "OffsetClock",
    "Player",
    "PlayoutError",
    "Sink",
    "SinkError",
    "auto_output",
    "bump_plan",
    "check_spec",
    "command_result",
    "daemon_alive",
    "describe",
    "expand",
    "expand_occurrences",
    "find_conflicts",
    "import_audio",
    "make_sink",
    "on_air",
    "output_file",
    "overrun_warning",
    "plan",
    "play_programme_once",
    "register_sink",
    "request_emergency",
    "request_play_now",
    "request_replan",
    "request_stop",
    "resolve_spec",
    "run_daemon",
    "sd_notify",
    "upcoming",
    "upcoming_select",
    "validate_schedule",
    "wait_until",
    "wav_header",
    "window_end",
]
