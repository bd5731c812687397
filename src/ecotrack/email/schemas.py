from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class OutboxMessage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    to_address: str
    template: str
    subject: str
    body_text: str
    status: Literal["pending", "sent", "failed"]
    backend: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
