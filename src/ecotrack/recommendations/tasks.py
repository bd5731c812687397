"""The LLM pass, off the request path: read in one unit of work, call the provider with no
transaction open, store the validated answer (or the failure) in another."""

from __future__ import annotations

from ecotrack.assistant.service import assistant_service
from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.recommendations import llm
from ecotrack.recommendations.service import recommendations_service


@task("recommendations.llm_rank", max_attempts=1)  # a failing provider is not hammered
def llm_rank(user_id: int, input_hash: str) -> str:
    settings = get_settings()
    database = get_database()
    with database.unit_of_work() as session:
        data, key = recommendations_service.llm_job_input(session, user_id=user_id)
    if key != input_hash or not data["actions"]:
        with database.unit_of_work() as session:  # the data changed: the next listing asks again
            recommendations_service.abandon_llm(session, user_id=user_id, key=input_hash)
        return "stale"
    result = assistant_service.complete_json(
        settings, request=llm.structured_request(data), purpose=llm.PURPOSE
    )
    with database.unit_of_work() as session:
        return recommendations_service.store_llm_result(
            session,
            user_id=user_id,
            key=key,
            allowed=[a["id"] for a in data["actions"]],
            result=result,
            settings=settings,
        )
