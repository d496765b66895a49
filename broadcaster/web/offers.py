"""Offers from the district ("Tin từ huyện"): the commune's leaders listen, then accept or decline.

Thin over ``content`` (accept_offer, decline_offer): the page parses the chosen day and time,
shows each refusal next to its offer, and never leaves a half-made decision.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from .. import content
from ..models import OFFER_STATE_LABELS, PRIORITY_LABELS, Offer
from ._cache import watch_writes
from ._core import commit, config, db, me, roles, station, store
from ._files import send_asset

bp = Blueprint("offers", __name__, url_prefix="/tin-tu-huyen")
DECIDERS = content.DECIDERS


def _offer(offer_id: int) -> Offer:
    offer = content.find_offer(db(), station().id, offer_id)
    if offer is None:
        abort(404)
    return offer


def _page(errors: dict | None = None, typed: dict | None = None, status: int = 200):
    return render_template(
        "offers/index.html",
        rows=content.offer_views(db(), station().id),
        errors=errors or {},
        typed=typed or {},
        STATES=OFFER_STATE_LABELS,
        LEVELS=PRIORITY_LABELS,
        EXPIRED=content.EXPIRED_LABEL,
    ), status


def _chosen_time(offer: Offer) -> datetime | None:
    """Give back the time the officer typed (None: the district's proposed time); ValueError if bad."""
    day = content.to_date(request.form.get("ngay"))
    at = content.to_time(request.form.get("gio"))
    if day is None and at is None:
        return None
    proposed = offer.proposed_at.astimezone(config().tz)
    return datetime.combine(day or proposed.date(), at or proposed.time().replace(tzinfo=None), config().tz)


@bp.route("/")
@roles(*DECIDERS)
def index():
    return _page()


@bp.route("/<int:offer_id>", methods=["POST"])
@roles(*DECIDERS)
def decide(offer_id: int):
    offer = _offer(offer_id)
    action = request.form.get("action")
    typed = {offer.id: {k: request.form.get(k, "") for k in ("ngay", "gio", "ly_do")}}
    title = offer.schedule.name
    try:
        if action == "accept":
            try:
                at = _chosen_time(offer)
            except ValueError as exc:
                raise content.ContentError(str(exc)) from None
            notice = content.accept_offer(db(), offer, me(), at)
            when = offer.air_at.astimezone(config().tz)
            msg = (
                f"Đã nhận phát «{title}» lúc {when:%H:%M} ngày {when:%d/%m/%Y}; "
                "huyện sẽ được báo ở lần đồng bộ tới."
            )
            if notice:
                msg += " " + notice
        elif action == "decline":
            content.decline_offer(db(), offer, me(), request.form.get("ly_do", ""))
            msg = f"Đã từ chối «{title}»; huyện sẽ nhận lý do ở lần đồng bộ tới."
        else:
            raise content.ContentError("Hãy chọn Nhận phát hoặc Từ chối.")
        commit()
    except content.ContentError as exc:
        db().rollback()
        return _page({offer_id: str(exc)}, typed, 400)
    flash(msg, "success")
    return redirect(url_for("offers.index"))


@bp.route("/<int:offer_id>/am-thanh/<int:segment_id>")
@roles(*DECIDERS)
def audio(offer_id: int, segment_id: int):
    view = next((v for v in content.offer_views(db(), station().id) if v.offer.id == offer_id), None)
    seg = next((s for s in view.segments if s.id == segment_id), None) if view else None
    if seg is None:
        abort(404)
    return send_asset(seg.audio)


def waiting_count() -> int | None:
    """Give back how many offers wait for this station's decision, once per request; None when the
    station neither links to a hub nor holds any offer (the menu then has no such entry)."""
    from flask import g

    if "offers_waiting" not in g:
        # Every signed-in page shows it in the menu: kept with the dashboard's data (DATA_TTL
        # seconds, dropped when this process writes), not counted again on every request.
        key = (config().station_code, "offers_waiting")
        g.offers_waiting = watch_writes(store().sessions).get(key, _count_waiting)["n"]
    return g.offers_waiting


def _count_waiting() -> dict:
    from sqlalchemy import select

    linked = (
        bool(config().hub_url)
        or db().scalar(select(Offer.id).where(Offer.station_id == station().id).limit(1)) is not None
    )
    return {"n": content.waiting_offers(db(), station().id) if linked else None}
