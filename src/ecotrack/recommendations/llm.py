"""The optional LLM pass over the rule engine's answer: reword and re-rank, nothing else.

Safeguards (docs/recommendations.md):
* the model sees only the actions the rules proposed (id, category, texts, engine saving,
  difficulty, cost) and the country code: no name, email or activity history;
* its answer must be a JSON object of the schema below (pydantic-validated); unknown ids,
  duplicates and anything but `id`, `title`, `description` are dropped; new actions cannot be
  added; markup, links and control characters are stripped; over-long texts fall back to the
  rule's own text;
* savings are never read from the answer: the response always carries the engine's numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ecotrack.assistant.providers import StructuredRequest
from ecotrack.recommendations.rules import Proposal

PURPOSE = "recommendations"
TITLE_MAX = 90
DESCRIPTION_MAX = 600

SYSTEM = (
    "You help people reduce their carbon footprint. You receive a list of actions computed by "
    "a rule engine, each with an id and an estimated saving in kg CO2e per year. Rewrite each "
    "title (at most 90 characters) and description (at most 600 characters) so they are clear, "
    "friendly and concrete, in plain text without markup or links, and order the actions from "
    "the most to the least worthwhile for this person (saving first, then ease and cost). Use "
    "only the ids you were given, never invent an action, and never state numbers that are not "
    "in the input."
)


class LLMItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=64)
    title: str = Field(max_length=2000)
    description: str = Field(max_length=8000)


class LLMAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recommendations: list[LLMItem] = Field(max_length=100)


def llm_input(proposals: Sequence[Proposal], *, country: str | None) -> dict[str, Any]:
    """What the model sees (and what the cache key hashes): no personal data but the country."""
    return {
        "country": country,
        "actions": [
            {
                "id": p.action.id,
                "category": p.action.category,
                "title": p.action.title,
                "description": p.action.description,
                "action_required": p.action.action_required,
                "saving_kg_per_year": round(p.savings_kg_per_year),
                "difficulty": p.action.difficulty,
                "cost": p.action.cost,
            }
            for p in proposals
        ],
    }


def answer_schema(ids: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "recommendations": {
                "type": "array",
                "maxItems": len(ids),
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "enum": list(ids)},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                    },
                    "required": ["id", "title", "description"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["recommendations"],
        "additionalProperties": False,
    }


def structured_request(data: dict[str, Any]) -> StructuredRequest:
    ids = [a["id"] for a in data["actions"]]
    return StructuredRequest(
        system=SYSTEM,
        prompt="Actions (JSON):\n" + json.dumps(data, ensure_ascii=False),
        schema=answer_schema(ids),
        schema_name="ranked_recommendations",
    )


_TAG = re.compile(r"<[^>]*>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
_MARKS = re.compile(r"[*_`#>|~\\]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


def clean_text(text: str, limit: int) -> str | None:
    """Plain text: no HTML, Markdown, links or control characters; None when empty or longer
    than `limit` after cleaning (the rule's own text is used then)."""
    out = _MD_LINK.sub(r"\1", text)
    out = _TAG.sub(" ", out)
    out = _URL.sub(" ", out)
    out = _CONTROL.sub(" ", out)
    out = _MARKS.sub(" ", out)
    out = _SPACE.sub(" ", out).strip()
    if not out or len(out) > limit:
        return None
    return out


def validate_answer(data: dict[str, Any] | None, allowed: Sequence[str]) -> dict[str, Any] | None:
    """The filtered answer `{"order": [ids], "texts": {id: {title, description}}}`, or None
    when it breaks the schema or names none of the allowed ids."""
    if data is None:
        return None
    try:
        answer = LLMAnswer.model_validate(data)
    except ValidationError:
        return None
    allowed_set = set(allowed)
    order: list[str] = []
    texts: dict[str, dict[str, str | None]] = {}
    for item in answer.recommendations:
        if item.id not in allowed_set or item.id in texts:
            continue
        order.append(item.id)
        texts[item.id] = {
            "title": clean_text(item.title, TITLE_MAX),
            "description": clean_text(item.description, DESCRIPTION_MAX),
        }
    if not order:
        return None
    return {"order": order, "texts": texts}


def apply(
    proposals: Sequence[Proposal], payload: dict[str, Any]
) -> list[tuple[Proposal, dict[str, Any]]]:
    """Proposals in the model's order (ids it left out follow in the rules' order), each with
    the texts to show."""
    by_id = {p.action.id: p for p in proposals}
    order = [i for i in payload.get("order", []) if i in by_id]
    order += [p.action.id for p in proposals if p.action.id not in order]
    texts = payload.get("texts", {})
    return [(by_id[i], texts.get(i) or {}) for i in order]
