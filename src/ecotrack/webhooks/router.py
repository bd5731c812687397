"""Webhook endpoints of an organisation, their delivery log, redelivery and test sends.

Organisation admins only: endpoints carry URLs (sometimes with tokens in their paths) and the
log carries receivers' answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.orgs.auth import OrgAdmin
from ecotrack.orgs.schemas import MAX_ID
from ecotrack.webhooks.schemas import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryDetail,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointUpdate,
    WebhookSecretRotate,
    WebhookSecretRotated,
)
from ecotrack.webhooks.service import webhooks_service

router = APIRouter(tags=["webhooks"])

EndpointId = Annotated[int, Path(ge=1, le=MAX_ID, description="Webhook endpoint id")]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Delivery id")]
BASE = "/orgs/{org_id}/webhooks"


@router.get(
    BASE,
    response_model=Page[WebhookEndpoint],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def list_webhook_endpoints(ctx: OrgAdmin, session: DbSession, page: Paging) -> Any:
    """The organisation's webhook endpoints (never their secrets)."""
    return webhooks_service.list_endpoints(session, ctx=ctx, page=page)


@router.post(
    BASE,
    response_model=WebhookEndpointCreated,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def create_webhook_endpoint(
    endpoint_in: WebhookEndpointCreate, ctx: OrgAdmin, session: DbSession, settings: AppSettings
) -> Any:
    """Add an endpoint. The response carries its signing secret (`whsec_…`): shown once.
    Private, loopback and link-local targets are refused (422 `webhook-url-refused`)."""
    return webhooks_service.create_endpoint(
        session, ctx=ctx, endpoint_in=endpoint_in, settings=settings
    )


@router.get(
    BASE + "/{endpoint_id}",
    response_model=WebhookEndpoint,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def get_webhook_endpoint(endpoint_id: EndpointId, ctx: OrgAdmin, session: DbSession) -> Any:
    return webhooks_service.get_endpoint(session, ctx=ctx, endpoint_id=endpoint_id)


@router.patch(
    BASE + "/{endpoint_id}",
    response_model=WebhookEndpoint,
    status_code=200,
    responses=problem_responses(401, 403, 404, 422),
)
def update_webhook_endpoint(
    endpoint_id: EndpointId,
    endpoint_in: WebhookEndpointUpdate,
    ctx: OrgAdmin,
    session: DbSession,
    settings: AppSettings,
) -> Any:
    """Change the URL (checked again), description, event types, or enable/disable it."""
    return webhooks_service.update_endpoint(
        session, ctx=ctx, endpoint_id=endpoint_id, endpoint_in=endpoint_in, settings=settings
    )


@router.delete(
    BASE + "/{endpoint_id}",
    status_code=204,
    response_model=None,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
def delete_webhook_endpoint(endpoint_id: EndpointId, ctx: OrgAdmin, session: DbSession) -> Response:
    """Delete the endpoint and its delivery log; pending retries stop."""
    webhooks_service.delete_endpoint(session, ctx=ctx, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post(
    BASE + "/{endpoint_id}/rotate-secret",
    response_model=WebhookSecretRotated,
    status_code=200,
    responses=problem_responses(401, 403, 404, 422),
)
def rotate_webhook_secret(
    endpoint_id: EndpointId,
    ctx: OrgAdmin,
    session: DbSession,
    settings: AppSettings,
    rotate_in: WebhookSecretRotate | None = None,
) -> Any:
    """Replace the signing secret; the new one is in the answer, shown once. For
    `previous_valid_hours` (default 24, at most 168) every message carries a second signature
    made with the old secret, so receivers can switch over without rejecting a message."""
    return webhooks_service.rotate_secret(
        session,
        ctx=ctx,
        endpoint_id=endpoint_id,
        rotate_in=rotate_in or WebhookSecretRotate(),
        settings=settings,
    )


@router.post(
    BASE + "/{endpoint_id}/test",
    response_model=WebhookDelivery,
    status_code=202,
    responses=problem_responses(401, 403, 404),
)
def test_webhook_endpoint(endpoint_id: EndpointId, ctx: OrgAdmin, session: DbSession) -> Any:
    """Queue a signed `webhook.test` message to the endpoint; follow it in the delivery log."""
    return webhooks_service.send_test(session, ctx=ctx, endpoint_id=endpoint_id)


@router.get(
    BASE + "/{endpoint_id}/deliveries",
    response_model=Page[WebhookDelivery],
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def list_webhook_deliveries(
    endpoint_id: EndpointId,
    ctx: OrgAdmin,
    session: DbSession,
    page: Paging,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status")] = None,
) -> Any:
    """The endpoint's delivery log, newest first."""
    return webhooks_service.list_deliveries(
        session, ctx=ctx, endpoint_id=endpoint_id, page=page, status=status
    )


@router.get(
    BASE + "/{endpoint_id}/deliveries/{delivery_id}",
    response_model=WebhookDeliveryDetail,
    status_code=200,
    responses=problem_responses(401, 403, 404),
)
def get_webhook_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, ctx: OrgAdmin, session: DbSession
) -> Any:
    """One delivery: its payload and every attempt (status code, latency, response start)."""
    return webhooks_service.get_delivery(
        session, ctx=ctx, endpoint_id=endpoint_id, delivery_id=delivery_id
    )


@router.post(
    BASE + "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookDelivery,
    status_code=202,
    responses=problem_responses(401, 403, 404, 409),
)
def redeliver_webhook_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, ctx: OrgAdmin, session: DbSession
) -> Any:
    """Send a finished delivery's message again (same `webhook-id`, same body)."""
    return webhooks_service.redeliver(
        session, ctx=ctx, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
