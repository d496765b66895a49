"""Playout: plan occurrences from schedules, start them on time, play them to sinks, keep the as-run log.

Public face for the web, the reports and the demo; everything else is in private modules.
"""

from .._lazy import lazy_face

# Names load with their module on first use: 'status' or 'stop' do not pay for APScheduler and
# the player.
__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "..rules": (
            "describe",
            "expand",
            "expand_occurrences",
            "overrun_warning",
            "validate_schedule",
            "window_end",
        ),
        "._asrun": ("CRASH_REASON",),
        "._clock": ("Clock", "JumpDetector", "OffsetClock", "sd_notify", "wait_until"),
        "._conflicts": ("MARGIN", "busy_span", "find_conflicts", "find_takeovers"),
        "._control": (
            "MAX_EMERGENCY_CHARS",
            "PlayoutError",
            "command_result",
            "daemon_alive",
            "import_audio",
            "on_air",
            "request_emergency",
            "request_live",
            "request_play_now",
            "request_replan",
            "request_stop",
            "upcoming",
            "upcoming_select",
        ),
        "._daemon": ("Daemon", "run_daemon"),
        "._deadair": ("dead_air_path", "read_dead_air", "recent_dead_air"),
        "._forecast": ("Airing", "forecast", "warnings"),
        "._keeper": ("StatusKeeper", "keep_status", "status_keeper"),
        "._once": ("play_programme_once",),
        "._planner": ("bump_plan", "plan"),
        "._job": ("Job",),
        "._player": ("Player",),
        "._prepare": ("Content",),
        "._status": ("status_view",),
        "._snapshot": ("store_file",),
        "._sinkbase": ("Sink", "SinkError", "register_sink", "wav_header"),
        # SINKS from the module that loads the outputs: the registry then holds every one.
        "._sinks": (
            "SINKS",
            "auto_output",
            "check_spec",
            "keep_secret",
            "make_sink",
            "output_file",
            "public_spec",
            "resolve_spec",
        ),
    },
)
