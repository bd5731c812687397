"""Challenges: the catalogue, joining and leaving, progress evaluated from the activities, and
team challenges inside an organisation (a team's members join together)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ecotrack.activities.service import activities_service
from ecotrack.core.db import utcnow
from ecotrack.core.errors import ConflictError, NotFoundError
from ecotrack.core.events import publish
from ecotrack.gamification import repository
from ecotrack.gamification.awards import award_service, today
from ecotrack.gamification.models import ChallengeParticipant
from ecotrack.gamification.models import TeamChallenge as TeamChallengeRow
from ecotrack.gamification.rules import (
    CHALLENGE_REVIEW_PCT,
    CHALLENGES,
    MEAT_DIETS,
    MEAT_FREE_DIETS,
    ChallengeDef,
    reduction_pct,
)
from ecotrack.gamification.schemas import (
    Challenge,
    Participation,
    TeamChallenge,
    TeamChallengeMember,
)
from ecotrack.orgs.context import OrgContext, OrgRole
from ecotrack.orgs.service import orgs_service


class ChallengeNotFound(NotFoundError):
    code = "challenge-not-found"


class AlreadyJoined(ConflictError):
    code = "challenge-already-joined"


class NotJoined(ConflictError):
    code = "challenge-not-joined"


class TeamChallengeRunning(ConflictError):
    code = "team-challenge-running"


def challenge_out(definition: ChallengeDef) -> Challenge:
    return Challenge(
        id=definition.id,
        slug=definition.slug,
        name=definition.name,
        description=definition.description,
        category=definition.category,
        duration_days=definition.duration_days,
        target=definition.target,
        points=definition.points,
    )


def participation_out(row: ChallengeParticipant) -> Participation:
    return Participation(
        id=row.id,
        challenge_id=row.challenge_id,
        challenge_name=CHALLENGES[row.challenge_id].name,
        team_challenge_id=row.team_challenge_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        status=row.status,
        progress=row.progress,
        value=row.value,
        completed_at=row.completed_at,
    )


def _diet_days(unit: str, amount: float) -> float:
    return amount * 365.0 if "year" in unit else amount


class ChallengeService:
    # --- catalogue --------------------------------------------------------------------------

    def list_challenges(self) -> list[Challenge]:
        return [challenge_out(c) for c in CHALLENGES.values()]

    def definition(self, challenge_id: int) -> ChallengeDef:
        definition = CHALLENGES.get(challenge_id)
        if definition is None:
            raise ChallengeNotFound(f"No challenge {challenge_id}")
        return definition

    def get_challenge(self, challenge_id: int) -> Challenge:
        return challenge_out(self.definition(challenge_id))

    # --- joining ----------------------------------------------------------------------------

    def join(self, session: Session, *, user_id: int, challenge_id: int) -> Participation:
        definition = self.definition(challenge_id)
        if repository.active_participation(session, user_id=user_id, challenge_id=challenge_id):
            raise AlreadyJoined(f"You are already in {definition.name!r}")
        start = today()
        row = repository.add(
            session,
            ChallengeParticipant(
                user_id=user_id,
                challenge_id=challenge_id,
                starts_on=start,
                ends_on=start + timedelta(days=definition.duration_days - 1),
                status="active",
                progress=0.0,
            ),
        )
        self.evaluate(session, row, on=start)
        return participation_out(row)

    def leave(self, session: Session, *, user_id: int, challenge_id: int) -> Participation:
        definition = self.definition(challenge_id)
        row = repository.active_participation(session, user_id=user_id, challenge_id=challenge_id)
        if row is None:
            raise NotJoined(f"You are not in {definition.name!r}")
        row.status = "left"
        session.flush()
        if row.team_challenge_id is not None:
            self._update_team(session, row.team_challenge_id, on=today())
        return participation_out(row)

    def my_challenges(self, session: Session, *, user_id: int) -> list[Participation]:
        self.evaluate_user(session, user_id=user_id)
        return [participation_out(p) for p in repository.participations(session, user_id=user_id)]

    # --- evaluation -------------------------------------------------------------------------

    def evaluate_user(self, session: Session, *, user_id: int) -> None:
        """Re-evaluate the user's active challenges (after their activities changed)."""
        on = today()
        for row in repository.participations(session, user_id=user_id, status="active"):
            self.evaluate(session, row, on=on)

    def evaluate(self, session: Session, row: ChallengeParticipant, *, on: date) -> None:
        """Progress from the activities in the window; settle it when won, lost or over."""
        if row.status != "active":
            return
        definition = CHALLENGES[row.challenge_id]
        end = min(row.ends_on, on)
        over = on > row.ends_on
        failed = False
        done = False
        held = False
        value: float
        if definition.kind == "avoid":
            usage = activities_service.usage(
                session, user_id=row.user_id, start=row.starts_on, end=end
            )
            if definition.params.get("diet"):
                diets = [u for u in usage if u.activity == "diet"]
                failed = any(u.options.get("diet", "medium_meat") in MEAT_DIETS for u in diets)
                value = sum(
                    _diet_days(u.unit, u.amount)
                    for u in diets
                    if u.options.get("diet") in MEAT_FREE_DIETS
                )
            else:
                forbidden = set(definition.params["forbidden_activities"])
                failed = any(u.activity in forbidden for u in usage)
                value = float(
                    len(
                        activities_service.activity_days(
                            session, user_id=row.user_id, start=row.starts_on, end=end
                        )
                    )
                )
            done = over and not failed and value >= definition.target
        elif definition.kind == "count_trips":
            usage = activities_service.usage(
                session, user_id=row.user_id, start=row.starts_on, end=end
            )
            wanted = set(definition.params["activities"])
            value = float(sum(u.count for u in usage if u.activity in wanted))
            done = value >= definition.target
        elif definition.kind == "logged_days":
            value = float(
                len(
                    activities_service.activity_days(
                        session, user_id=row.user_id, start=row.starts_on, end=end
                    )
                )
            )
            done = value >= definition.target
        else:  # category_cut
            value, held = self._category_cut(session, row, definition, end=end)
            done = over and value >= definition.target
        row.value = round(value, 2)
        row.progress = 1.0 if done else round(max(0.0, min(1.0, value / definition.target)), 4)
        if failed:
            row.status = "failed"
        elif done:
            self._complete(session, row, definition, on=on, held=held)
        elif over:
            row.status = "failed"
        session.flush()
        if row.team_challenge_id is not None:
            self._update_team(session, row.team_challenge_id, on=on)

    def _category_cut(
        self, session: Session, row: ChallengeParticipant, definition: ChallengeDef, *, end: date
    ) -> tuple[float, bool]:
        """(% cut of the window's daily rate against the same span before joining, held?)."""
        categories = definition.params["categories"]
        span = definition.duration_days
        before = activities_service.category_totals(
            session,
            user_id=row.user_id,
            start=row.starts_on - timedelta(days=span),
            end=row.starts_on - timedelta(days=1),
        )
        during = activities_service.category_totals(
            session, user_id=row.user_id, start=row.starts_on, end=end
        )
        baseline = sum(before.get(c, 0.0) for c in categories) / span
        elapsed = (end - row.starts_on).days + 1
        current = sum(during.get(c, 0.0) for c in categories) / elapsed
        if baseline <= 0 or current <= 0:
            return 0.0, False  # no baseline, or nothing logged yet: no evidence of a cut
        pct = reduction_pct(baseline, current)
        return pct, pct > CHALLENGE_REVIEW_PCT

    def _complete(
        self,
        session: Session,
        row: ChallengeParticipant,
        definition: ChallengeDef,
        *,
        on: date,
        held: bool,
    ) -> None:
        row.status = "completed"
        row.completed_at = utcnow()
        session.flush()
        award_service.award(
            session,
            user_id=row.user_id,
            reason="challenge",
            ref=str(row.id),
            points=definition.points,
            awarded_on=on,
            detail={"challenge_id": definition.id, "value": row.value},
            review=held,
        )
        award_service.badge(session, user_id=row.user_id, key="challenger")
        publish(
            session,
            "challenge.completed",
            user_id=row.user_id,
            challenge_id=definition.id,
            name=definition.name,
        )

    def settle_ended(self, session: Session, *, user_id: int) -> int:
        """Settle the user's challenges whose window is over (the hourly task); how many."""
        on = today()
        n = 0
        for row in repository.participations(session, user_id=user_id, status="active"):
            if row.ends_on < on:
                self.evaluate(session, row, on=on)
                n += 1
        return n

    # --- team challenges --------------------------------------------------------------------

    def start_team_challenge(
        self, session: Session, *, ctx: OrgContext, team_id: int, challenge_id: int
    ) -> TeamChallenge:
        """Enrol every current member of the team (org admins); their progress is pooled."""
        ctx.require(OrgRole.ADMIN, "start team challenges")
        orgs_service.get_team(session, ctx=ctx, team_id=team_id)  # 404 outside the org
        definition = self.definition(challenge_id)
        if repository.active_team_challenge(
            session, org_id=ctx.org_id, team_id=team_id, challenge_id=challenge_id
        ):
            raise TeamChallengeRunning(f"This team is already running {definition.name!r}")
        start = today()
        end = start + timedelta(days=definition.duration_days - 1)
        team_row = repository.add(
            session,
            TeamChallengeRow(
                org_id=ctx.org_id,
                team_id=team_id,
                challenge_id=challenge_id,
                starts_on=start,
                ends_on=end,
                status="active",
                progress=0.0,
                created_by_id=ctx.user_id,
            ),
        )
        for user_id in orgs_service.member_user_ids(session, org_id=ctx.org_id, team_id=team_id):
            if repository.active_participation(session, user_id=user_id, challenge_id=challenge_id):
                continue  # already doing it alone: counted there, not twice
            participant = repository.add(
                session,
                ChallengeParticipant(
                    user_id=user_id,
                    challenge_id=challenge_id,
                    team_challenge_id=team_row.id,
                    starts_on=start,
                    ends_on=end,
                    status="active",
                    progress=0.0,
                ),
            )
            self.evaluate(session, participant, on=start)
        self._update_team(session, team_row.id, on=start)
        return self._team_out(session, team_row)

    def team_challenges(
        self, session: Session, *, ctx: OrgContext, team_id: int
    ) -> list[TeamChallenge]:
        orgs_service.get_team(session, ctx=ctx, team_id=team_id)
        on = today()
        rows = repository.team_challenges(session, org_id=ctx.org_id, team_id=team_id)
        for row in rows:
            if row.status == "active":
                for participant in repository.team_participants(session, row.id):
                    self.evaluate(session, participant, on=on)
                self._update_team(session, row.id, on=on)
        return [self._team_out(session, row) for row in rows]

    def _update_team(self, session: Session, team_challenge_id: int, *, on: date) -> None:
        team = repository.team_challenge_by_id(session, team_challenge_id)
        if team is None or team.status != "active":
            return
        members = [
            p
            for p in repository.team_participants(session, team_challenge_id)
            if p.status != "left"
        ]
        if not members:
            team.progress = 0.0
            if on > team.ends_on:
                team.status = "failed"
            session.flush()
            return
        team.progress = round(sum(p.progress for p in members) / len(members), 4)
        if all(p.status == "completed" for p in members):
            team.status = "completed"
            team.completed_at = utcnow()
        elif any(p.status == "failed" for p in members) or on > team.ends_on:
            team.status = "failed"
        session.flush()

    def _team_out(self, session: Session, row: TeamChallengeRow) -> TeamChallenge:
        return TeamChallenge(
            id=row.id,
            org_id=row.org_id,
            team_id=row.team_id,
            challenge_id=row.challenge_id,
            challenge_name=CHALLENGES[row.challenge_id].name,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            status=row.status,
            progress=row.progress,
            completed_at=row.completed_at,
            members=[
                TeamChallengeMember(
                    user_id=p.user_id,
                    status=p.status,
                    progress=p.progress,
                )
                for p in repository.team_participants(session, row.id)
            ],
        )


challenge_service = ChallengeService()
