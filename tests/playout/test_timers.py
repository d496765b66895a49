"""The daemon's clock: APScheduler timers rebuilt from our tables, and the wake-up channel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from broadcaster.models import AirStatus, ControlCommand, Occurrence, Schedule
from broadcaster.playout import OffsetClock, bump_plan, request_replan, request_stop
from broadcaster.playout._daemon import MISFIRE_MARGIN_S, OCC_PREFIX
from broadcaster.playout._wake import WakeChannel, wake_address

from .conftest import add_once, add_programme, add_segment, wait_for, whole_seconds_from_now, zone_with_sink


def occ_timers(daemon) -> dict[str, object]:
    if daemon.scheduler is None:
        return {}
    return {j.id: j for j in daemon.scheduler.get_jobs() if j.id.startswith(OCC_PREFIX)}


def pending(store, schedule_id):
    with store.sessions() as s:
        return s.scalars(
            select(Occurrence).where(
                Occurrence.schedule_id == schedule_id, Occurrence.status == AirStatus.PENDING
            )
        ).all()


def test_each_occurrence_gets_a_timer_with_a_stable_id_in_real_wall_time(
    store, config, session, station, run_daemon
):
    zone = zone_with_sink(session, station, "null")
    prog = add_programme(session, station, [add_segment(session, station, config, "Tin")])
    # The injected clock runs two hours ahead of the real one: APScheduler, which waits in real
    # wall time, must get the real instant of each hand-off.
    clock = OffsetClock(7200.0)
    now = clock.now().replace(microsecond=0)
    early = add_once(session, station, prog, zone, now + timedelta(hours=1), config.tz, name="Sớm")
    late = add_once(
        session, station, prog, zone, now + timedelta(hours=3), config.tz, name="Muộn", misfire_grace_s=120
    )
    session.commit()
    d = run_daemon(clock=clock)
    timers = wait_for(lambda: len(occ_timers(d)) == 2 and occ_timers(d))
    lead = d._lead()
    for sched, grace in ((early, config.misfire_grace), (late, 120)):
        (occ,) = pending(store, sched.id)
        timer = timers[f"occ:{occ.uid}"]
        want = occ.scheduled_at - timedelta(seconds=lead + 7200)
        assert abs((timer.next_run_time - want).total_seconds()) < 0.5
        assert timer.misfire_grace_time == lead + grace + MISFIRE_MARGIN_S
        assert timer.max_instances == 1 and timer.coalesce
    assert {"plan", "recover", "heartbeat"} <= {j.id for j in d.scheduler.get_jobs()}
    assert str(d.scheduler.timezone) == config.timezone

    # A re-plan that changes nothing leaves the timers alone (not even replaced).
    before = dict(timers)
    plans = d.plan_count
    with store.sessions.begin() as s:
        bump_plan(s, station.id)
    wait_for(lambda: d.plan_count > plans)
    after = occ_timers(d)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in after)

    # Disabling a schedule removes its occurrence and its timer; moving one moves its timer.
    (gone,) = pending(store, late.id)
    with store.sessions.begin() as s:
        s.get(Schedule, late.id).enabled = False
        moved_to = (now + timedelta(hours=2)).astimezone(config.tz)
        # Date and time both: two hours later may be tomorrow in the station's zone.
        s.get(Schedule, early.id).start_date = moved_to.date()
        s.get(Schedule, early.id).start_time = moved_to.time()
        bump_plan(s, station.id)

    def moved():
        t = occ_timers(d)
        occs = pending(store, early.id)
        return (
            len(t) == 1
            and f"occ:{gone.uid}" not in t
            and len(occs) == 1
            and f"occ:{occs[0].uid}" in t
            and t[f"occ:{occs[0].uid}"]
        )

    timer = wait_for(moved)
    want = now + timedelta(hours=2) - timedelta(seconds=lead + 7200)
    assert abs((timer.next_run_time - want).total_seconds()) < 0.5


def test_a_due_occurrence_is_handed_over_and_its_timer_spent(store, config, session, station, run_daemon):
    out = config.data_dir / "aired.wav"
    zone = zone_with_sink(session, station, f"file:{out}")
    prog = add_programme(session, station, [add_segment(session, station, config, "Tin", secs=0.2)])
    at = whole_seconds_from_now(3)  # inside the prepare lead: its timer fires at once
    sched = add_once(session, station, prog, zone, at, config.tz)
    session.commit()
    d = run_daemon()
    wait_for(lambda: [j for j in list(d.jobs.values()) if j.scheduled_at == at])
    assert occ_timers(d) == {}, "the hand-off timer is spent; the worker waits for the start"
    wait_for(lambda: not pending(store, sched.id))
    with store.sessions() as s:
        occ = s.scalar(select(Occurrence).where(Occurrence.schedule_id == sched.id))
        assert occ.status in (AirStatus.PLAYING, AirStatus.PLAYED)
    # Re-planning after the hand-off must not arm a second timer for it.
    plans = d.plan_count
    with store.sessions.begin() as s:
        bump_plan(s, station.id)
    wait_for(lambda: d.plan_count > plans)
    assert occ_timers(d) == {}


def test_a_command_nobody_announced_is_still_taken_by_the_fallback_poll(
    store, config, session, station, run_daemon
):
    d = run_daemon()
    wait_for(lambda: d.plan_count > 0)
    # Written straight into the mailbox, as another tool might: no wake-up follows the commit.
    with store.sessions.begin() as s:
        s.add(ControlCommand(station_id=station.id, action="stop", payload={}, requested_by="kiểm thử"))
    with store.sessions() as s:

        def done():
            s.expire_all()
            cmd = s.scalar(select(ControlCommand).where(ControlCommand.requested_by == "kiểm thử"))
            return cmd.done_at is not None and cmd

        cmd = wait_for(done, 10)
        assert cmd.result == "Không có gì đang phát."


def test_requests_wake_the_daemon_after_the_commit_and_never_on_rollback(store, session, station):
    channel = WakeChannel(wake_address(store.engine.url))
    assert channel.sock is not None
    try:
        assert channel.address == str(store.config.data_dir.resolve() / "run" / "daemon.sock")
        with store.sessions() as s:
            request_replan(s, station.id, "kiểm thử")
            assert not channel.wait(0.05), "a wake-up before the commit finds nothing to do"
            s.commit()
            assert channel.wait(2.0)
            request_stop(s, station.id, "kiểm thử")
            s.rollback()
            assert not channel.wait(0.2), "a rolled back request wakes nobody"
            bump_plan(s, station.id)
            s.commit()
            assert channel.wait(2.0)
            assert not channel.wait(0.05), "pokes are consumed"
    finally:
        channel.close()
    assert not (store.config.data_dir / "run" / "daemon.sock").exists()
    # Nobody listening: the request still commits and nothing is raised.
    with store.sessions.begin() as s:
        cmd_id = request_stop(s, station.id, "kiểm thử").id
    with store.sessions() as s:
        assert s.get(ControlCommand, cmd_id) is not None


def test_wake_addresses_fit_unix_sockets_and_both_sides_agree(tmp_path):
    short = wake_address(f"sqlite:///{tmp_path}/broadcaster.db")
    assert short == str(tmp_path.resolve() / "run" / "daemon.sock")
    deep = tmp_path / ("x" * 120)
    long = wake_address(f"sqlite:///{deep}/broadcaster.db")
    assert long.startswith("\0") and long == wake_address(f"sqlite:///{deep}/broadcaster.db")
    pg = wake_address("postgresql+psycopg://radio:secret@localhost/broadcaster")
    assert pg.startswith("\0") and pg == wake_address(
        "postgresql+psycopg://radio:other@localhost/broadcaster"
    )
