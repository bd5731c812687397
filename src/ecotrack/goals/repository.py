"""Every SQL statement of the goals domain; every query is scoped to the owning user."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ecotrack.goals.models import Goal


def add(session: Session, goal: Goal) -> Goal:
    session.add(goal)
    session.flush()
    return goal


def get_for_user(session: Session, *, user_id: int, goal_id: int) -> Goal | None:
    return session.execute(
        select(Goal).where(Goal.id == goal_id, Goal.user_id == user_id)
    ).scalar_one_or_none()


def list_for_user(
    session: Session, *, user_id: int, achieved: bool | None, limit: int, offset: int
) -> tuple[list[Goal], int]:
    where = [Goal.user_id == user_id]
    if achieved is not None:
        where.append(Goal.is_achieved.is_(achieved))
    total = session.execute(select(func.count()).select_from(Goal).where(*where)).scalar_one()
    rows = session.execute(select(Goal).where(*where).order_by(Goal.id).limit(limit).offset(offset))
    return list(rows.scalars()), int(total)


def count_for_user(session: Session, *, user_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Goal).where(Goal.user_id == user_id)
        ).scalar_one()
    )


def open_goals(session: Session, *, user_id: int) -> list[Goal]:
    rows = session.execute(
        select(Goal)
        .where(Goal.user_id == user_id, Goal.is_achieved.is_(False))
        .order_by(Goal.id)
        .with_for_update()
    )
    return list(rows.scalars())


def delete_goal(session: Session, goal: Goal) -> None:
    session.delete(goal)
    session.flush()


def delete_for_user(session: Session, *, user_id: int) -> int:
    result = session.execute(delete(Goal).where(Goal.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def all_for_user(session: Session, *, user_id: int) -> list[Goal]:
    return list(
        session.execute(select(Goal).where(Goal.user_id == user_id).order_by(Goal.id)).scalars()
    )
