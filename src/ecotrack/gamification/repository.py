"""Every SQL statement of the gamification domain.

Personal rows are always read by `user_id`; team challenges by `org_id` (tenant scope). The
leaderboard queries are written for the `ix_leaderboard_score_board` index: one board is an
equality prefix (period, period_start, metric[, visible]) then `score DESC, user_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecotrack.gamification.models import (
    ChallengeParticipant,
    GamificationProfile,
    LeaderboardScore,
    PointAward,
    TeamChallenge,
    UserBadge,
)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def flush_unique(session: Session, row: Any) -> bool:
    """Add and flush `row` inside a savepoint; False when a unique key refused it."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- profiles ---------------------------------------------------------------------------------


def get_profile(session: Session, user_id: int) -> GamificationProfile | None:
    return session.get(GamificationProfile, user_id)


# --- awards -----------------------------------------------------------------------------------


def get_award(session: Session, award_id: int) -> PointAward | None:
    return session.get(PointAward, award_id)


def find_award(session: Session, *, user_id: int, reason: str, ref: str) -> PointAward | None:
    stmt = select(PointAward).where(
        PointAward.user_id == user_id, PointAward.reason == reason, PointAward.ref == ref
    )
    return session.execute(stmt).scalar_one_or_none()


def points_on(session: Session, *, user_id: int, reason: str, day: date) -> int:
    stmt = select(func.coalesce(func.sum(PointAward.points), 0)).where(
        PointAward.user_id == user_id,
        PointAward.reason == reason,
        PointAward.awarded_on == day,
        PointAward.status != "rejected",
    )
    return int(session.execute(stmt).scalar_one())


def held_points(session: Session, *, user_id: int) -> int:
    stmt = select(func.coalesce(func.sum(PointAward.points), 0)).where(
        PointAward.user_id == user_id, PointAward.status == "review"
    )
    return int(session.execute(stmt).scalar_one())


def awards_by_status(
    session: Session, *, status: str, limit: int, offset: int
) -> tuple[list[PointAward], int]:
    base = select(PointAward).where(PointAward.status == status)
    total = session.execute(
        select(func.count()).select_from(base.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(base.order_by(PointAward.id).limit(limit).offset(offset)).scalars()
    return list(rows), int(total)


def recent_awards(session: Session, *, user_id: int, limit: int) -> list[PointAward]:
    stmt = (
        select(PointAward)
        .where(PointAward.user_id == user_id)
        .order_by(PointAward.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


# --- badges -----------------------------------------------------------------------------------


def badges_of(session: Session, user_id: int) -> list[UserBadge]:
    stmt = select(UserBadge).where(UserBadge.user_id == user_id).order_by(UserBadge.id)
    return list(session.execute(stmt).scalars())


# --- leaderboard scores -----------------------------------------------------------------------


def bump_score(
    session: Session,
    *,
    period: str,
    start: date,
    metric: str,
    user_id: int,
    delta: float,
    visible: bool,
) -> None:
    """score += delta (the row is created at delta)."""
    stmt = _insert(session)(LeaderboardScore).values(
        period=period,
        period_start=start,
        metric=metric,
        user_id=user_id,
        score=delta,
        visible=visible,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["period", "period_start", "metric", "user_id"],
        set_={"score": LeaderboardScore.score + delta},
    )
    session.execute(stmt)


def set_score(
    session: Session,
    *,
    period: str,
    start: date,
    metric: str,
    user_id: int,
    score: float,
    visible: bool,
) -> None:
    stmt = _insert(session)(LeaderboardScore).values(
        period=period,
        period_start=start,
        metric=metric,
        user_id=user_id,
        score=score,
        visible=visible,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["period", "period_start", "metric", "user_id"], set_={"score": score}
    )
    session.execute(stmt)


def set_visibility(session: Session, *, user_id: int, visible: bool) -> None:
    session.execute(
        update(LeaderboardScore)
        .where(LeaderboardScore.user_id == user_id)
        .values(visible=visible)
        .execution_options(synchronize_session=False)
    )


def _board(
    *, period: str, start: date, metric: str, user_ids: Sequence[int] | None
) -> list[ColumnElement[bool]]:
    where = [
        LeaderboardScore.period == period,
        LeaderboardScore.period_start == start,
        LeaderboardScore.metric == metric,
    ]
    if user_ids is None:
        where.append(LeaderboardScore.visible.is_(True))
    else:
        where.append(LeaderboardScore.user_id.in_(user_ids))
    return where


def board_page(
    session: Session,
    *,
    period: str,
    start: date,
    metric: str,
    user_ids: Sequence[int] | None,
    limit: int,
    offset: int,
) -> list[tuple[int, float]]:
    """(user_id, score) best first; `user_ids` None: the global board (visible rows only)."""
    stmt = (
        select(LeaderboardScore.user_id, LeaderboardScore.score)
        .where(*_board(period=period, start=start, metric=metric, user_ids=user_ids))
        .order_by(LeaderboardScore.score.desc(), LeaderboardScore.user_id)
        .limit(limit)
        .offset(offset)
    )
    return [(int(u), float(s)) for u, s in session.execute(stmt).all()]


def board_count(
    session: Session,
    *,
    period: str,
    start: date,
    metric: str,
    user_ids: Sequence[int] | None,
    above: float | None = None,
) -> tuple[int, int | None]:
    """(rows on the board, rows scoring more than `above` i.e. that score's rank − 1) in one
    read of the board's index range; the second is None without `above`."""
    where = _board(period=period, start=start, metric=metric, user_ids=user_ids)
    columns: list[Any] = [func.count()]
    if above is not None:
        columns.append(func.count().filter(LeaderboardScore.score > above))
    row = session.execute(select(*columns).select_from(LeaderboardScore).where(*where)).one()
    return int(row[0]), (int(row[1]) if above is not None else None)


def board_ties_before(
    session: Session,
    *,
    period: str,
    start: date,
    metric: str,
    user_ids: Sequence[int] | None,
    score: float,
    user_id: int,
) -> int:
    """Rows with the same score listed before `user_id` (the board orders ties by user id)."""
    where = _board(period=period, start=start, metric=metric, user_ids=user_ids)
    where += [LeaderboardScore.score == score, LeaderboardScore.user_id < user_id]
    stmt = select(func.count()).select_from(LeaderboardScore).where(*where)
    return int(session.execute(stmt).scalar_one())


def get_score(
    session: Session, *, period: str, start: date, metric: str, user_id: int
) -> LeaderboardScore | None:
    return session.get(LeaderboardScore, (period, start, metric, user_id))


def bulk_insert_scores(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_insert(session)(LeaderboardScore).on_conflict_do_nothing(), rows)


# --- challenges -------------------------------------------------------------------------------


def participations(
    session: Session, *, user_id: int, status: str | None = None
) -> list[ChallengeParticipant]:
    stmt = select(ChallengeParticipant).where(ChallengeParticipant.user_id == user_id)
    if status is not None:
        stmt = stmt.where(ChallengeParticipant.status == status)
    return list(session.execute(stmt.order_by(ChallengeParticipant.id.desc())).scalars())


def active_participation(
    session: Session, *, user_id: int, challenge_id: int
) -> ChallengeParticipant | None:
    stmt = (
        select(ChallengeParticipant)
        .where(
            ChallengeParticipant.user_id == user_id,
            ChallengeParticipant.challenge_id == challenge_id,
            ChallengeParticipant.status == "active",
        )
        .order_by(ChallengeParticipant.id)
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def team_participants(session: Session, team_challenge_id: int) -> list[ChallengeParticipant]:
    stmt = (
        select(ChallengeParticipant)
        .where(ChallengeParticipant.team_challenge_id == team_challenge_id)
        .order_by(ChallengeParticipant.user_id)
    )
    return list(session.execute(stmt).scalars())


def get_team_challenge(
    session: Session, *, org_id: int, team_challenge_id: int
) -> TeamChallenge | None:
    stmt = select(TeamChallenge).where(
        TeamChallenge.org_id == org_id, TeamChallenge.id == team_challenge_id
    )
    return session.execute(stmt).scalar_one_or_none()


def team_challenge_by_id(session: Session, team_challenge_id: int) -> TeamChallenge | None:
    return session.get(TeamChallenge, team_challenge_id)


def team_challenges(session: Session, *, org_id: int, team_id: int) -> list[TeamChallenge]:
    stmt = (
        select(TeamChallenge)
        .where(TeamChallenge.org_id == org_id, TeamChallenge.team_id == team_id)
        .order_by(TeamChallenge.id.desc())
    )
    return list(session.execute(stmt).scalars())


def active_team_challenge(
    session: Session, *, org_id: int, team_id: int, challenge_id: int
) -> TeamChallenge | None:
    stmt = select(TeamChallenge).where(
        TeamChallenge.org_id == org_id,
        TeamChallenge.team_id == team_id,
        TeamChallenge.challenge_id == challenge_id,
        TeamChallenge.status == "active",
    )
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def users_with_active_participations(
    session: Session, *, ended_before: date, limit: int
) -> list[int]:
    stmt = (
        select(ChallengeParticipant.user_id)
        .where(ChallengeParticipant.status == "active", ChallengeParticipant.ends_on < ended_before)
        .distinct()
        .order_by(ChallengeParticipant.user_id)
        .limit(limit)
    )
    return [int(u) for u in session.execute(stmt).scalars()]


# --- erasure ----------------------------------------------------------------------------------


def delete_user_data(session: Session, user_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, model in (
        ("participations", ChallengeParticipant),
        ("scores", LeaderboardScore),
        ("badges", UserBadge),
        ("awards", PointAward),
        ("profile", GamificationProfile),
    ):
        result = session.execute(delete(model).where(model.user_id == user_id))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
    session.execute(
        update(PointAward).where(PointAward.reviewed_by_id == user_id).values(reviewed_by_id=None)
    )
    session.execute(
        update(TeamChallenge)
        .where(TeamChallenge.created_by_id == user_id)
        .values(created_by_id=None)
    )
    return counts
