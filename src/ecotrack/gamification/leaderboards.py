"""Leaderboards read from the per-period score table (`leaderboard_score`).

A page is `ORDER BY score DESC, user_id LIMIT n OFFSET m`, an index-only read of the board's
`(…, score DESC, user_id)` index; a rank is 1 + `COUNT(*) WHERE score > :score` (ties share a
rank), counted in the same index read as the board's total. The global board lists only users who
gave the leaderboard consent; organisation and team boards list their members and answer 404 to
anyone else.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.errors import NotFoundError, ValidationFailed
from ecotrack.core.pagination import PageParams
from ecotrack.gamification import repository
from ecotrack.gamification.awards import today
from ecotrack.gamification.rules import Period, period_start
from ecotrack.gamification.schemas import Leaderboard, LeaderboardEntry, Metric, Scope
from ecotrack.identity.service import identity_service
from ecotrack.orgs.service import orgs_service


class LeaderboardNotFound(NotFoundError):
    code = "leaderboard-not-found"


def default_day(period: Period, metric: Metric, on: date) -> date:
    """Points boards show the current period; reduction boards the last completed one (a
    period's reduction is known only once it is over)."""
    if metric == "points" or period == "all":
        return on
    if period == "week":
        return on - timedelta(days=7)
    return on.replace(day=1) - timedelta(days=1)


class LeaderboardService:
    def _members(
        self, session: Session, *, viewer_id: int, scope: Scope, scope_id: int | None
    ) -> list[int] | None:
        if scope == "global":
            if scope_id is not None:
                raise ValidationFailed(
                    "The global leaderboard takes no scope_id",
                    errors=[{"loc": ["query", "scope_id"], "msg": "must be empty", "type": "x"}],
                )
            return None
        if scope_id is None:
            raise ValidationFailed(
                f"A {scope} leaderboard needs scope_id",
                errors=[{"loc": ["query", "scope_id"], "msg": "required", "type": "missing"}],
            )
        if scope == "org":
            if orgs_service.role_of(session, org_id=scope_id, user_id=viewer_id) is None:
                raise LeaderboardNotFound(f"No organisation {scope_id}")
            return orgs_service.member_user_ids(session, org_id=scope_id)
        # team: scope_id is the team id; the viewer must be in the team's organisation
        org_id = orgs_service.org_of_team(session, team_id=scope_id)
        if (
            org_id is None
            or orgs_service.role_of(session, org_id=org_id, user_id=viewer_id) is None
        ):
            raise LeaderboardNotFound(f"No team {scope_id}")
        return orgs_service.member_user_ids(session, org_id=org_id, team_id=scope_id)

    def board(
        self,
        session: Session,
        *,
        viewer_id: int,
        scope: Scope,
        scope_id: int | None,
        period: Period,
        metric: Metric,
        page: PageParams,
        day: date | None = None,
    ) -> Leaderboard:
        user_ids = self._members(session, viewer_id=viewer_id, scope=scope, scope_id=scope_id)
        start = period_start(period, day or default_day(period, metric, today()))
        key: dict[str, Any] = {"period": period, "start": start, "metric": metric}
        own = self._own_score(session, viewer_id=viewer_id, user_ids=user_ids, **key)
        total, above = repository.board_count(session, **key, user_ids=user_ids, above=own)
        rows = repository.board_page(
            session, **key, user_ids=user_ids, limit=page.limit, offset=page.offset
        )
        names = identity_service.display_names(
            session, user_ids=[u for u, _ in rows] + ([viewer_id] if own is not None else [])
        )
        items: list[LeaderboardEntry] = []
        rank = 0
        previous: float | None = None
        for i, (user_id, score) in enumerate(rows):
            if previous is None or score != previous:
                if i == 0:
                    # The rows before this page are those scoring more plus the ties listed
                    # earlier: rank = offset − ties before + 1 (counting only the ties).
                    ties = repository.board_ties_before(
                        session, **key, user_ids=user_ids, score=score, user_id=user_id
                    )
                    rank = page.offset - ties + 1
                else:
                    rank = page.offset + i + 1
            previous = score
            items.append(_entry(rank, user_id, score, names.get(user_id)))
        me = None
        if own is not None and above is not None:
            me = _entry(above + 1, viewer_id, own, names.get(viewer_id))
        return Leaderboard(
            scope=scope,
            scope_id=scope_id,
            period=period,
            period_start=start,
            metric=metric,
            items=items,
            total=total,
            limit=page.limit,
            offset=page.offset,
            me=me,
        )

    def _own_score(
        self,
        session: Session,
        *,
        viewer_id: int,
        user_ids: list[int] | None,
        period: str,
        start: date,
        metric: str,
    ) -> float | None:
        """The viewer's score when the viewer is on this board (global: opted in)."""
        own = repository.get_score(
            session, period=period, start=start, metric=metric, user_id=viewer_id
        )
        if own is None or (user_ids is None and not own.visible):
            return None
        if user_ids is not None and viewer_id not in user_ids:
            return None
        return float(own.score)


def _entry(rank: int, user_id: int, score: float, name: str | None) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=rank, user_id=user_id, display_name=name or f"EcoTracker #{user_id}", score=score
    )


leaderboard_service = LeaderboardService()
