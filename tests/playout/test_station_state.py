"""The station's state row when two processes reach for it at once (a fresh store, `broadcaster
run` starting its daemon and its sync child together)."""

from __future__ import annotations

from sqlalchemy import event, select

from broadcaster.models import StationState
from broadcaster.playout import bump_plan
from broadcaster.store import ensure_station, station_state


def _other_process_makes_the_row_first(store, station_id: int) -> list[int]:
    """Arrange that just before this process's first INSERT into station_state, another connection
    (standing for the daemon) inserts and commits the row; give back a list that counts it."""
    made: list[int] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _race(conn, _cursor, statement, _params, _context, _many) -> None:
        if made or not statement.lstrip().upper().startswith("INSERT") or "station_state" not in statement:
            return
        other = store.engine.raw_connection()  # a connection of its own, as another process has
        try:
            other.cursor().execute(
                "INSERT INTO station_state (station_id, plan_revision) VALUES (?, 0)", (station_id,)
            )
            other.commit()
        finally:
            other.close()
        made.append(station_id)

    return made


def test_an_edit_and_the_daemon_making_the_state_row_at_once_both_succeed(store, session) -> None:
    station_id = ensure_station(store).id
    session.execute(StationState.__table__.delete())  # a store from before the row was made at init
    session.commit()
    made = _other_process_makes_the_row_first(store, station_id)
    with store.sessions.begin() as s:
        assert bump_plan(s, station_id) == 1  # was: IntegrityError (UNIQUE station_state.station_id)
    assert made == [station_id]
    with store.sessions() as s:
        assert s.scalars(select(StationState)).all()[0].plan_revision == 1


def test_a_new_station_has_its_state_row_from_init(store) -> None:
    station_id = ensure_station(store).id
    with store.sessions() as s:
        assert s.get(StationState, station_id) is not None
        assert station_state(s, station_id).plan_revision == 0
