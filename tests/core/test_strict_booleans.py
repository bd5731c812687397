"""JSON booleans in request bodies are `true`/`false`, not 0, 1 or "yes" (found by Schemathesis'
negative data: pydantic's lax mode took 0 for false). Query-string flags stay lax by design."""

from __future__ import annotations

import pytest

from tests.principals import PASSWORD, auth_headers, make_user


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_body_booleans_refuse_anything_but_true_and_false(client, session, value) -> None:
    user = make_user(session, "strict-bools@example.org")
    h = auth_headers(session, user)
    consent = client.put(
        "/api/v1/users/me/consents",
        json={"consents": [{"kind": "leaderboard", "granted": value}]},
        headers=h,
    )
    assert consent.status_code == 422, consent.text
    assert consent.json()["errors"][0]["loc"][-1] == "granted"
    prefs = client.patch(
        "/api/v1/notifications/preferences", json={"email_goal_achieved": value}, headers=h
    )
    if value is None:  # null means "leave as is" in a PATCH
        assert prefs.status_code == 200, prefs.text
    else:
        assert prefs.status_code == 422, prefs.text
    login = client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": PASSWORD, "use_cookies": value},
    )
    assert login.status_code == 422, login.text


def test_true_and_false_still_work(client, session) -> None:
    user = make_user(session, "strict-bools-ok@example.org")
    h = auth_headers(session, user)
    r = client.put(
        "/api/v1/users/me/consents",
        json={"consents": [{"kind": "leaderboard", "granted": True}]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    r = client.patch(
        "/api/v1/notifications/preferences", json={"email_goal_achieved": False}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["email_goal_achieved"] is False
