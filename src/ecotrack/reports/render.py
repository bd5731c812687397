"""Report files: CSV rows written chunk by chunk, and a PDF laid out with ReportLab's platypus
(cover, totals with min/max, method and provenance, charts from `reportlab.graphics`, tables)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ecotrack.usage.schemas import UsageGroup, UsageTotals

FIGURES = (
    "calls",
    "calls_unknown",
    "tokens_in",
    "tokens_out",
    "energy_kwh",
    "energy_kwh_min",
    "energy_kwh_max",
    "water_l",
    "water_l_min",
    "water_l_max",
    "co2e_kg",
    "co2e_kg_min",
    "co2e_kg_max",
)
TIME_GROUPS = frozenset({"day", "week", "month"})

GREEN = colors.HexColor("#2e7d32")
LIGHT = colors.HexColor("#e8f5e9")
GREY = colors.HexColor("#9e9e9e")


# --- CSV --------------------------------------------------------------------------------------


def csv_header(group_by: str) -> list[str]:
    return [group_by, *(["start"] if group_by in TIME_GROUPS else []), *FIGURES]


def csv_row(group_by: str, group: UsageGroup) -> list[Any]:
    start = [group.start.isoformat() if group.start else ""] if group_by in TIME_GROUPS else []
    # repr() of a float round-trips exactly: the CSV carries the stored sums, not a rounding.
    return [group.key, *start, *(_exact(getattr(group, name)) for name in FIGURES)]


def _exact(value: int | float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def csv_chunks(group_by: str, pages: Iterable[Sequence[UsageGroup]]) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks: the header, then one chunk per page of groups."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_header(group_by))
    yield buffer.getvalue().encode()
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        for group in page:
            writer.writerow(csv_row(group_by, group))
        yield buffer.getvalue().encode()


# --- PDF --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """One combination of method and factors seen in the period, with how many calls used it."""

    methodology: str
    model_source: str
    zone: str
    grid_factor_id: str
    calls: int


@dataclass
class PdfReport:
    org_name: str
    org_slug: str
    start: date
    end: date
    group_by: str
    generated_at: datetime
    totals: UsageTotals
    groups: list[UsageGroup]
    series: list[UsageGroup]
    interval: str
    top_models: list[UsageGroup]
    provenance: list[Provenance] = field(default_factory=list)
    provenance_events: int = 0  # every event of the period, counted in the provenance table


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "T", parent=base["Title"], textColor=GREEN, fontSize=26, leading=32
        ),
        "subtitle": ParagraphStyle("S", parent=base["Heading2"], textColor=colors.black),
        "h2": ParagraphStyle("H2", parent=base["Heading2"], textColor=GREEN),
        "body": ParagraphStyle("B", parent=base["BodyText"], fontSize=9.5, leading=13),
        "small": ParagraphStyle("Sm", parent=base["BodyText"], fontSize=8, textColor=GREY),
    }


def _num(value: float, digits: int = 3) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return f"{value:.{digits}g}"


_UNITS = {
    "co2e_kg": ("kg CO2e", "g CO2e", "mg CO2e"),
    "energy_kwh": ("kWh", "Wh", "mWh"),
    "water_l": ("L", "mL", "\u00b5L"),
}


def _scale(metric: str, values: Iterable[float]) -> tuple[str, float]:
    """A readable unit for these values (kg → g → mg, ...): (label, factor to multiply by)."""
    top = max((abs(v) for v in values), default=0.0)
    for power, label in enumerate(_UNITS[metric]):
        factor = 1000.0**power
        if top * factor >= 1 or power == len(_UNITS[metric]) - 1:
            return label, factor
    raise AssertionError("unreachable")


def _table(rows: list[list[Any]], widths: list[float], *, align_right_from: int = 1) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), GREEN),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, LIGHT]),
                ("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, GREY),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _totals_table(t: UsageTotals) -> Table:
    rows: list[list[Any]] = [["", "Estimate", "Min", "Max"]]
    for metric, label in (
        ("co2e_kg", "Greenhouse gases"),
        ("energy_kwh", "Energy"),
        ("water_l", "Water"),
    ):
        values = [getattr(t, metric), getattr(t, f"{metric}_min"), getattr(t, f"{metric}_max")]
        unit, factor = _scale(metric, values)
        rows.append([f"{label} ({unit})", *(_num(v * factor) for v in values)])
    rows += [
        ["Calls", f"{t.calls:,}", "", ""],
        ["  of unknown impact (model not registered)", f"{t.calls_unknown:,}", "", ""],
        ["Tokens in / out", f"{t.tokens_in:,} / {t.tokens_out:,}", "", ""],
    ]
    return _table(rows, [7.5 * cm, 3.5 * cm, 3 * cm, 3 * cm])


def _label_every(count: int, room: int = 16) -> int:
    return max(1, -(-count // room))


def _bar_chart(series: list[UsageGroup], interval: str) -> Drawing:
    unit, factor = _scale("co2e_kg", (g.co2e_kg for g in series))
    title = f"Greenhouse gases per {interval} ({unit})"
    drawing = Drawing(17 * cm, 7 * cm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, 17 * cm - 60, 7 * cm - 70
    chart.data = [[g.co2e_kg * factor for g in series] or [0.0]]
    step = _label_every(len(series))
    chart.categoryAxis.categoryNames = [
        g.key if i % step == 0 else "" for i, g in enumerate(series)
    ] or [""]
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = GREEN
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    drawing.add(String(40, 7 * cm - 14, title, fontName="Helvetica-Bold", fontSize=9))
    return drawing


def _line_chart(series: list[UsageGroup], interval: str) -> Drawing:
    unit, factor = _scale("energy_kwh", (g.energy_kwh_max for g in series))
    title = f"Energy per {interval} ({unit})"
    drawing = Drawing(17 * cm, 7 * cm)
    chart = LinePlot()
    chart.x, chart.y, chart.width, chart.height = 40, 40, 17 * cm - 150, 7 * cm - 70

    def line(attr: str) -> list[tuple[float, float]]:
        points = [(float(i), float(getattr(g, attr)) * factor) for i, g in enumerate(series)]
        return points or [(0.0, 0.0)]

    chart.data = [line("energy_kwh_min"), line("energy_kwh"), line("energy_kwh_max")]
    for index, (colour, width) in enumerate(((GREY, 0.6), (GREEN, 1.6), (GREY, 0.6))):
        chart.lines[index].strokeColor = colour
        chart.lines[index].strokeWidth = width
    chart.xValueAxis.valueMin = 0
    chart.xValueAxis.valueMax = max(1, len(series) - 1)
    step = _label_every(len(series), 10)
    chart.xValueAxis.valueSteps = list(range(0, max(1, len(series)), step))
    chart.xValueAxis.labelTextFormat = lambda v: series[int(v)].key if series else ""
    chart.xValueAxis.labels.fontSize = 6
    chart.xValueAxis.labels.angle = 45
    chart.xValueAxis.labels.boxAnchor = "ne"
    chart.yValueAxis.valueMin = 0
    chart.yValueAxis.labels.fontSize = 7
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 17 * cm - 100, 7 * cm - 40
    legend.fontSize = 7
    legend.colorNamePairs = [(GREEN, "estimate"), (GREY, "min / max")]
    drawing.add(legend)
    drawing.add(String(40, 7 * cm - 14, title, fontName="Helvetica-Bold", fontSize=9))
    return drawing


def _top_chart(groups: list[UsageGroup]) -> Drawing:
    top = list(reversed(groups[:10]))
    unit, factor = _scale("co2e_kg", (g.co2e_kg for g in top))
    title = f"Models with the largest footprint ({unit})"
    height = max(4 * cm, (len(top) * 0.55 + 1.8) * cm)
    drawing = Drawing(17 * cm, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 150, 20, 17 * cm - 180, height - 50
    chart.data = [[g.co2e_kg * factor for g in top] or [0.0]]
    chart.categoryAxis.categoryNames = [(g.key or "(none)")[:28] for g in top] or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = GREEN
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    drawing.add(String(10, height - 14, title, fontName="Helvetica-Bold", fontSize=9))
    return drawing


METHOD_TEXT = (
    "Each call is estimated when it is ingested, with EcoTrack's <b>llm_inference</b> method "
    "(the EcoLogits approach): the energy of generating the output tokens on the model's "
    "hardware, scaled by the data centre's PUE; water from the WUE and the electricity's "
    "water intensity; greenhouse gases from the grid intensity of the call's zone on its "
    "date, plus the embodied share of the hardware. Model parameters that are not published "
    "give a range: every figure has a minimum and a maximum, and the estimate is their "
    "midpoint. Calls of models the organisation has not registered are counted but have no "
    "figures. The organisation's own overrides (custom models, PUE/WUE, zone) apply. Sums here "
    "are read from the daily rollups, which equal the sums of the stored events."
)


def build_pdf(path: Path, report: PdfReport) -> int:
    """Write the PDF; returns its page count."""
    styles = _styles()
    period = f"{report.start.isoformat()} to {report.end.isoformat()}"
    footer = f"EcoTrack · {report.org_name} · {period}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(GREY)
        canvas.drawString(2 * cm, 1.2 * cm, footer)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"AI usage footprint — {report.org_name}",
        author="EcoTrack",
        subject=period,
    )
    t = report.totals
    story: list[Any] = [
        Spacer(1, 3 * cm),
        Paragraph("AI usage footprint", styles["title"]),
        Paragraph(escape(report.org_name), styles["subtitle"]),
        Paragraph(f"Period: {period} (UTC, inclusive)", styles["body"]),
        Paragraph(
            f"Grouped by {report.group_by}. Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.",
            styles["body"],
        ),
        Spacer(1, 1 * cm),
        Paragraph("Totals", styles["h2"]),
        _totals_table(t),
        Spacer(1, 0.8 * cm),
        Paragraph("Method", styles["h2"]),
        Paragraph(METHOD_TEXT, styles["body"]),
        PageBreak(),
        Paragraph("Over time", styles["h2"]),
        _bar_chart(report.series, report.interval),
        Spacer(1, 0.4 * cm),
        _line_chart(report.series, report.interval),
        Spacer(1, 0.4 * cm),
        KeepTogether([_top_chart(report.top_models)]),
        PageBreak(),
        Paragraph(f"Summary by {report.group_by}", styles["h2"]),
        _groups_table(report.group_by, report.groups),
        Spacer(1, 0.8 * cm),
        Paragraph("Factor provenance", styles["h2"]),
        *_provenance(report, styles),
    ]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return int(doc.page)


def _groups_table(group_by: str, groups: list[UsageGroup]) -> Table:
    energy, e_factor = _scale("energy_kwh", (g.energy_kwh for g in groups))
    water, w_factor = _scale("water_l", (g.water_l for g in groups))
    co2e, c_factor = _scale("co2e_kg", (g.co2e_kg_max for g in groups))
    rows: list[list[Any]] = [
        [
            group_by.capitalize(),
            "Calls",
            "Tokens in",
            "Tokens out",
            energy,
            water,
            f"{co2e} (min–max)",
        ]
    ]
    for g in groups:
        rows.append(
            [
                (g.key or "(none)")[:40],
                f"{g.calls:,}",
                f"{g.tokens_in:,}",
                f"{g.tokens_out:,}",
                _num(g.energy_kwh * e_factor),
                _num(g.water_l * w_factor),
                f"{_num(g.co2e_kg * c_factor)} "
                f"({_num(g.co2e_kg_min * c_factor)}–{_num(g.co2e_kg_max * c_factor)})",
            ]
        )
    if len(rows) == 1:
        rows.append(["(no usage in this period)", "", "", "", "", "", ""])
    widths = [3.6 * cm, 1.6 * cm, 2 * cm, 2 * cm, 1.8 * cm, 1.8 * cm, 4.2 * cm]
    return _table(rows, widths)


def _provenance(report: PdfReport, styles: dict[str, ParagraphStyle]) -> list[Any]:
    if not report.provenance:
        return [Paragraph("No enriched events in this period.", styles["body"])]
    scope = f"All {report.provenance_events:,} events of the period."
    rows: list[list[Any]] = [["Methodology", "Model data", "Zone", "Grid factor", "Calls"]]
    for p in report.provenance:
        rows.append(
            [
                Paragraph(escape(p.methodology), styles["small"]),
                Paragraph(escape(p.model_source), styles["small"]),
                p.zone,
                Paragraph(escape(p.grid_factor_id), styles["small"]),
                f"{p.calls:,}",
            ]
        )
    widths = [3.6 * cm, 4 * cm, 1.4 * cm, 6 * cm, 2 * cm]
    return [Paragraph(scope, styles["body"]), Spacer(1, 0.2 * cm), _table(rows, widths)]
