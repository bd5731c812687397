"""CSV import of activities: parse, validate every row, price them with the batch engine, then
store all valid rows or none (the caller's choice).

Columns (header row required, names case-insensitive, order free):
`date` (YYYY-MM-DD), `activity`, `amount`, `unit` are required; `region`, `year`, `source`,
`note` and `options` (a JSON object) are optional, and any `opt.<name>` column sets one option
(`opt.fuel` = `petrol`; numbers and true/false are read as such). `opt.<name>` wins over the
same key in `options`. Empty cells mean "not given". Limits: 2 MiB and 10,000 data rows (413).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.activities.schemas import ImportResult, ImportRowErrors, RowError
from ecotrack.activities.service import activities_service
from ecotrack.core.errors import AppError, PayloadTooLarge, ValidationFailed

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000
REQUIRED = ("date", "activity", "amount", "unit")
OPTIONAL = ("region", "year", "source", "note", "options")
OPTION_PREFIX = "opt."


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported-media-type"


class ImportRejected(ValidationFailed):
    code = "import-rejected"


def csv_from_body(content_type: str, body: bytes) -> bytes:
    """The CSV bytes of a `text/csv` body or of the `file` part of a `multipart/form-data` one."""
    if len(body) > MAX_IMPORT_BYTES + 64 * 1024:  # multipart framing allowance
        raise PayloadTooLarge(f"The CSV may be at most {MAX_IMPORT_BYTES} bytes")
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("text/csv", "text/plain", "application/csv"):
        data = body
    elif media == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        data_part: bytes | None = None
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name == "file":
                    payload = part.get_payload(decode=True)
                    data_part = payload if isinstance(payload, bytes) else b""
                    break
        if data_part is None:
            raise ValidationFailed(
                "The multipart body needs a `file` part holding the CSV",
                code="csv-missing",
                errors=[{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}],
            )
        data = data_part
    else:
        raise UnsupportedMediaType(
            f"Send the CSV as text/csv or multipart/form-data (field `file`), not {media or '?'}"
        )
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"The CSV may be at most {MAX_IMPORT_BYTES} bytes")
    return data


def _cell_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _file_error(detail: str, code: str, loc: list[str | int]) -> ValidationFailed:
    return ValidationFailed(
        detail, code=code, errors=[{"loc": loc, "msg": detail, "type": code.replace("-", "_")}]
    )


def parse_csv(
    data: bytes,
) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    """([(row number, item)], {row number: errors}); rows are numbered from 1 after the header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            f"The CSV must be UTF-8 (byte {exc.start} is not)", "csv-encoding", ["body"]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _file_error(
            "The CSV is empty: a header row is required", "csv-empty", ["body"]
        ) from None
    except csv.Error as exc:
        raise _file_error(f"Unreadable CSV: {exc}", "csv-invalid", ["body"]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise _file_error(
            f"Missing column(s): {', '.join(missing)}", "csv-missing-columns", ["body", "header"]
        )
    unknown = [
        n
        for n in names
        if n not in REQUIRED + OPTIONAL and not (n.startswith(OPTION_PREFIX) and len(n) > 4)
    ]
    if unknown or len(set(names)) != len(names):
        detail = (
            f"Unknown column(s): {', '.join(unknown)}; accepted: {', '.join(REQUIRED + OPTIONAL)} "
            "and opt.<name>"
            if unknown
            else "A column appears twice"
        )
        raise _file_error(detail, "csv-bad-columns", ["body", "header"])
    items: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, list[dict[str, Any]]] = {}
    row_no = 0
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank line
            row_no += 1
            if row_no > MAX_IMPORT_ROWS:
                raise PayloadTooLarge(f"The CSV may hold at most {MAX_IMPORT_ROWS} data rows")
            item, row_errors = _parse_row(names, record)
            if row_errors:
                errors[row_no] = row_errors
            else:
                items.append((row_no, item))
    except csv.Error as exc:
        raise _file_error(
            f"Unreadable CSV near row {row_no + 1}: {exc}", "csv-invalid", ["body"]
        ) from None
    return items, errors


def _parse_row(names: list[str], record: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    if len(record) > len(names):
        errors.append(
            {
                "loc": [],
                "msg": f"{len(record)} cells for {len(names)} columns",
                "type": "too_many_cells",
            }
        )
        return {}, errors
    cells = {n: (record[i].strip() if i < len(record) else "") for i, n in enumerate(names)}
    item: dict[str, Any] = {}
    for column in REQUIRED:
        if not cells[column]:
            errors.append({"loc": [column], "msg": "Field required", "type": "missing"})
    if cells["date"]:
        try:
            item["occurred_on"] = date.fromisoformat(cells["date"])
        except ValueError:
            errors.append(
                {"loc": ["date"], "msg": "Expected a date as YYYY-MM-DD", "type": "date_parsing"}
            )
    item["activity"] = cells["activity"]
    item["unit"] = cells["unit"]
    if cells["amount"]:
        try:
            item["amount"] = float(cells["amount"])
        except ValueError:
            errors.append({"loc": ["amount"], "msg": "Expected a number", "type": "float_parsing"})
    for column in ("region", "source", "note"):
        if cells.get(column):
            item[column] = cells[column]
    if cells.get("year"):
        try:
            item["year"] = int(cells["year"])
        except ValueError:
            errors.append(
                {"loc": ["year"], "msg": "Expected a whole number", "type": "int_parsing"}
            )
    options: dict[str, Any] = {}
    if cells.get("options"):
        try:
            parsed = json.loads(cells["options"])
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            errors.append(
                {"loc": ["options"], "msg": "Expected a JSON object", "type": "json_object"}
            )
        else:
            options.update(parsed)
    for name, value in cells.items():
        if name.startswith(OPTION_PREFIX) and value:
            options[name[len(OPTION_PREFIX) :]] = _cell_value(value)
    item["options"] = options
    return item, errors


def _loc(loc: list[Any]) -> list[str | int]:
    """Item locs back to CSV column names (`occurred_on` -> `date`, options -> `opt.<name>`)."""
    if not loc:
        return []
    head, rest = loc[0], loc[1:]
    if head == "occurred_on":
        return ["date", *rest]
    if head == "options" and rest:
        return [f"{OPTION_PREFIX}{rest[0]}", *rest[1:]]
    return [head if isinstance(head, int) else str(head), *rest]


def import_csv(session: Session, *, user_id: int, data: bytes, mode: str) -> ImportResult:
    """Import the CSV `data` for `user_id`. `all_or_nothing`: any bad row -> 422
    `import-rejected` (nothing stored; `errors[].loc` starts with `["row", n, column]`);
    `valid_only`: valid rows are stored, bad rows listed in the result."""
    parsed, errors = parse_csv(data)
    rows = len(parsed) + len(errors)
    ok, item_errors = activities_service.prepare(
        session, user_id=user_id, items=[item for _, item in parsed]
    )
    for index, errs in item_errors:
        row_no = parsed[index][0]
        errors[row_no] = [{**e, "loc": _loc(list(e["loc"]))} for e in errs]
    if errors and mode == "all_or_nothing":
        flat = [
            {**e, "loc": ["row", row_no, *e["loc"]]}
            for row_no in sorted(errors)
            for e in errors[row_no]
        ]
        raise ImportRejected(
            f"{len(errors)} of {rows} rows are invalid; nothing was imported",
            errors=flat,
        )
    stored = [row for _, row in ok]
    if stored:
        activities_service.store_new(session, user_id=user_id, rows=stored, emit_logged=True)
    return ImportResult(
        mode=mode,
        rows=rows,
        imported=len(stored),
        failed=len(errors),
        total_co2e_kg=sum(r.co2e_kg for r in stored),
        activity_ids=[r.id for r in stored],
        errors=[
            ImportRowErrors(row=row_no, errors=[RowError.model_validate(e) for e in errors[row_no]])
            for row_no in sorted(errors)
        ],
    )
