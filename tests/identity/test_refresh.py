"""Refresh-token rotation, replay detection and lifetimes (ASVS 10.4.5, 10.4.8, 7.3.2, 7.1.1).

Must show (issue 4): replaying a used refresh token answers 401 and the newer token of the same
family is then 401 too, and the reuse is audited.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.identity.service import identity_service
from tests.identity.conftest import FakeClock, MakeClient
from tests.identity.helpers import (
    assert_problem,
    assert_unauthorized,
    me,
    refresh,
    tokens_for,
    unique_email,
)
from tests.principals import make_user


def _sid(access_token: str) -> int:
    return int(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def _reuse_records(session: Session, session_id: int) -> list[Any]:
    session.expire_all()
    records, _ = audit_service.list(
        session, action="auth.refresh_token_reused", resource_id=str(session_id)
    )
    return records


def test_refresh_rotates_the_token(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("rotate"))
    first = tokens_for(client, user.email)

    response = refresh(client, first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert set(second) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "csrf_token",
    }
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["expires_in"] == 900
    assert _sid(second["access_token"]) == _sid(first["access_token"])  # same family
    assert me(client, second["access_token"]).status_code == 200
    assert me(client, first["access_token"]).status_code == 200  # until it expires or is revoked


def test_replayed_refresh_token_revokes_the_whole_family_and_is_audited(
    client: Any, session: Session
) -> None:
    user = make_user(session, unique_email("replay"))
    bystander = tokens_for(client, user.email)  # another login of the same user
    rt1 = tokens_for(client, user.email)
    sid = _sid(rt1["access_token"])
    rt2 = refresh(client, rt1["refresh_token"]).json()
    assert _reuse_records(session, sid) == []

    replay = refresh(client, rt1["refresh_token"])

    assert_unauthorized(replay, "invalid-refresh-token")
    assert (
        replay.json()["detail"] == "The refresh token is invalid, expired or revoked; log in again"
    )
    # The newer token of the family is dead too, and so are the family's access tokens.
    assert_unauthorized(refresh(client, rt2["refresh_token"]), "invalid-refresh-token")
    assert_unauthorized(me(client, rt2["access_token"]))
    assert_unauthorized(me(client, rt1["access_token"]))
    # One audit record, committed although the request failed.
    records = _reuse_records(session, sid)
    assert len(records) == 1
    assert records[0].actor_id == user.id
    assert records[0].resource_type == "session"
    assert records[0].ip == "testclient"
    assert records[0].details == {"family_revoked": True}
    auth_session = identity_service.list_sessions(session, user_id=user.id, current_session_id=None)
    assert [s.id for s in auth_session] == [_sid(bystander["access_token"])]
    # Another family of the same user is untouched.
    assert me(client, bystander["access_token"]).status_code == 200
    assert refresh(client, bystander["refresh_token"]).status_code == 200


def test_replay_after_several_rotations_still_revokes(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("chain"))
    pair = tokens_for(client, user.email)
    chain = [pair["refresh_token"]]
    for _ in range(3):
        pair = refresh(client, pair["refresh_token"]).json()
        chain.append(pair["refresh_token"])

    assert_unauthorized(refresh(client, chain[1]), "invalid-refresh-token")
    assert_unauthorized(refresh(client, chain[-1]), "invalid-refresh-token")
    assert len(_reuse_records(session, _sid(pair["access_token"]))) == 1


def test_unknown_refresh_token_is_401_and_revokes_nothing(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("unknown-rt"))
    pair = tokens_for(client, user.email)
    assert_unauthorized(refresh(client, "etr_" + "A" * 43), "invalid-refresh-token")
    assert_problem(refresh(client, "short"), 422, "validation-failed")
    assert_unauthorized(client.post("/api/v1/auth/refresh"), "invalid-refresh-token")  # no cookie
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_refresh_lifetime_is_absolute_even_when_used_daily(
    client: Any, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, unique_email("absolute"))
    login_at = clock.now
    pair = tokens_for(client, user.email)
    sid = _sid(pair["access_token"])

    for day in range(1, 7):
        clock.now = login_at + timedelta(days=day)
        response = refresh(client, pair["refresh_token"])
        assert response.status_code == 200, f"day {day}: {response.text}"
        pair = response.json()
    sessions = identity_service.list_sessions(session, user_id=user.id, current_session_id=None)
    assert [(s.id, s.expires_at) for s in sessions] == [(sid, login_at + timedelta(days=7))]
    assert sessions[0].last_used_at == login_at + timedelta(days=6)

    clock.now = login_at + timedelta(days=7, seconds=1)
    assert_unauthorized(refresh(client, pair["refresh_token"]), "invalid-refresh-token")
    assert identity_service.list_sessions(session, user_id=user.id, current_session_id=None) == []
    # Expiry is not theft: no reuse record.
    assert _reuse_records(session, sid) == []


def test_refresh_is_accepted_just_before_the_absolute_end(
    client: Any, session: Session, clock: FakeClock
) -> None:
    user = make_user(session, unique_email("edge"))
    login_at = clock.now
    pair = tokens_for(client, user.email)
    clock.now = login_at + timedelta(days=7, seconds=-1)
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_reuse_grace_tolerates_the_previous_token_briefly(
    make_client: MakeClient, session: Session, clock: FakeClock
) -> None:
    """With `refresh_reuse_grace_s`, two tabs refreshing at once do not log the user out: the
    immediately previous token is refused without revoking the family."""
    client = make_client(refresh_reuse_grace_s=10)
    user = make_user(session, unique_email("grace"))
    rt1 = tokens_for(client, user.email)
    rt2 = refresh(client, rt1["refresh_token"]).json()

    clock.advance(seconds=5)
    assert_unauthorized(refresh(client, rt1["refresh_token"]), "invalid-refresh-token")
    assert _reuse_records(session, _sid(rt1["access_token"])) == []
    assert refresh(client, rt2["refresh_token"]).status_code == 200


def test_reuse_after_the_grace_period_revokes_the_family(
    make_client: MakeClient, session: Session, clock: FakeClock
) -> None:
    client = make_client(refresh_reuse_grace_s=10)
    user = make_user(session, unique_email("grace-over"))
    rt1 = tokens_for(client, user.email)
    rt2 = refresh(client, rt1["refresh_token"]).json()

    clock.advance(seconds=11)
    assert_unauthorized(refresh(client, rt1["refresh_token"]), "invalid-refresh-token")
    assert_unauthorized(refresh(client, rt2["refresh_token"]), "invalid-refresh-token")
    assert len(_reuse_records(session, _sid(rt1["access_token"]))) == 1


def test_grace_never_covers_older_tokens(
    make_client: MakeClient, session: Session, clock: FakeClock
) -> None:
    client = make_client(refresh_reuse_grace_s=10)
    user = make_user(session, unique_email("grace-old"))
    rt1 = tokens_for(client, user.email)
    rt2 = refresh(client, rt1["refresh_token"]).json()
    rt3 = refresh(client, rt2["refresh_token"]).json()

    clock.advance(seconds=1)
    assert_unauthorized(refresh(client, rt1["refresh_token"]), "invalid-refresh-token")
    assert_unauthorized(refresh(client, rt3["refresh_token"]), "invalid-refresh-token")


def test_refresh_after_logout_is_401(client: Any, session: Session) -> None:
    user = make_user(session, unique_email("after-logout"))
    pair = tokens_for(client, user.email)
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_unauthorized(refresh(client, pair["refresh_token"]), "invalid-refresh-token")
    assert _reuse_records(session, _sid(pair["access_token"])) == []


def test_only_digests_of_refresh_and_one_time_tokens_are_stored(
    client: Any, session: Session
) -> None:
    """ASVS 7.2.3 / 6.5.2: 256-bit CSPRNG tokens; the database keeps their SHA-256 only."""
    from sqlalchemy import select

    from ecotrack.identity import tokens
    from ecotrack.identity.models import RefreshToken, UserToken
    from tests.identity.helpers import forgot, link_token, outbox

    user = make_user(session, unique_email("digest"))
    raw_refresh = tokens_for(client, user.email)["refresh_token"]
    forgot(client, user.email)
    raw_reset = link_token(outbox(session, user.email)[0])
    assert re.fullmatch(r"eto_[A-Za-z0-9_-]{43}", raw_reset)

    session.expire_all()
    stored_refresh = session.execute(select(RefreshToken.token_hash)).scalars().all()
    stored_once = session.execute(select(UserToken.token_hash)).scalars().all()
    assert tokens.token_digest(raw_refresh) in stored_refresh
    assert tokens.token_digest(raw_reset) in stored_once
    assert raw_refresh not in stored_refresh
    assert raw_reset not in stored_once
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in [*stored_refresh, *stored_once])
