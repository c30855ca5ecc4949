"""Staff statistics: leads per cluster and status, what people ask, and a weekly chart.

No Telegram here: `/stats` and `wallonia-bot stats` both build a `PeriodStats` per period and
render it with `stats_reply`; the chart is a PNG from `weekly_chart_png`.

Why matplotlib for the chart: it renders a PNG in-process with no browser, server or system
library (Plotly needs Kaleido/Chrome for static images; pygal needs cairo to rasterise SVG),
it is the most widely packaged and reviewed Python plotting library, and its object API
(`Figure` without `pyplot`) keeps no global state, so concurrent updates cannot mix charts.
It is heavy (numpy, ~100 ms to import), so it is imported inside `weekly_chart_png` only:
the bot does not pay for it until someone asks for `/stats`.

Questions: every question asked is tallied anonymously (`question_log`: intent and outcome,
no text, no user), which gives questions per intent and the share not understood over all
traffic; the texts of the questions the assistant was unsure of (`unanswered_questions`) give
the most frequent unanswered ones.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.leads.model import LeadStatus
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply, ReplyBuilder
from bot.settings import Settings
from bot.staff.unanswered_review import group_questions
from bot.storage.database import Database, utc_now
from bot.storage.lead_store import LeadStats, LeadStore
from bot.storage.question_log_store import QuestionCounts, QuestionLogStore, QuestionOutcome
from bot.storage.unanswered_question_store import UnansweredQuestion, UnansweredQuestionStore
from knowledge.model import KnowledgeBase, Language

PERIODS_DAYS = (7, 30)
TOP_QUESTIONS = 5
# How many recorded questions a period reads at most (a bound, not a sample: far above a
# month of real traffic).
QUESTION_WINDOW = 5000
CHART_WEEKS = 12
EXIT_OK = 0

WeeklyCounts = Sequence[tuple[date, str, int]]


@dataclass(frozen=True, slots=True)
class PeriodStats:
    """What happened in the last `days` days."""

    days: int
    leads: LeadStats
    uncertain_questions: int
    not_understood: int
    by_best_guess: dict[str | None, int]
    top_unanswered: list[tuple[str, int]]
    asked: QuestionCounts | None = None  # every question of the period, when the tally is given

    @property
    def not_understood_share(self) -> float:
        """Share (0-1) of the recorded questions the assistant had no guess for."""
        return self.not_understood / self.uncertain_questions if self.uncertain_questions else 0.0


def question_stats(
    questions: Iterable[UnansweredQuestion], since: datetime
) -> tuple[int, int, dict[str | None, int], list[tuple[str, int]]]:
    """(recorded, without any guess, per best guess, most frequent alike questions)."""
    recent = [q for q in questions if q.created_at >= since]
    by_guess = Counter(q.best_intent for q in recent)
    top = [
        (group.first.text, group.size)
        for group in group_questions(q for q in recent if q.status.value == "open")
    ][:TOP_QUESTIONS]
    ordered = dict(sorted(by_guess.items(), key=lambda item: (-item[1], item[0] or "")))
    return len(recent), by_guess.get(None, 0), ordered, top


async def collect_stats(
    leads: LeadStore,
    unanswered: UnansweredQuestionStore,
    now: datetime,
    periods: Sequence[int] = PERIODS_DAYS,
    question_log: QuestionLogStore | None = None,
) -> list[PeriodStats]:
    """Statistics for each period (in days) ending `now`."""
    questions = await unanswered.recent(limit=QUESTION_WINDOW, status=None)
    result = []
    for days in periods:
        since = now - timedelta(days=days)
        recorded, not_understood, by_guess, top = question_stats(questions, since)
        result.append(
            PeriodStats(
                days=days,
                leads=await leads.stats(since),
                uncertain_questions=recorded,
                not_understood=not_understood,
                by_best_guess=by_guess,
                top_unanswered=top,
                asked=await question_log.counts(since) if question_log else None,
            )
        )
    return result


def stats_reply(
    periods: Sequence[PeriodStats],
    catalogue: Catalogue,
    language: Language,
    knowledge: KnowledgeBase | None = None,
) -> Reply:
    """The statistics as a short message, one block per period."""

    def t(key: str, **values: object) -> str:
        return catalogue.text(language, f"staff_ws.stats.{key}", **values)

    def cluster_name(cluster_id: str) -> str:
        if knowledge is not None and knowledge.has_cluster(cluster_id):
            return knowledge.cluster(cluster_id).name
        return cluster_id

    def intent_name(intent_id: str | None) -> str:
        if intent_id is None:
            return t("unknown_intent")
        key = f"intent.{intent_id}"
        return catalogue.text(language, key) if catalogue.has(key) else intent_id

    def rows(builder: ReplyBuilder, title: str, counts: Mapping[str, int]) -> None:
        builder.paragraph(title)
        lines = [t("row", name=name, count=count) for name, count in counts.items()]
        builder.paragraph("\n".join(lines) or t("none"))

    builder = ReplyBuilder()
    for period in periods:
        builder.bold(t("period", days=period.days)).paragraph()
        builder.paragraph(t("leads", count=period.leads["total"]))
        by_cluster = {cluster_name(c): n for c, n in period.leads["by_cluster"].items()}
        rows(builder, t("by_cluster"), by_cluster)
        by_status = {
            catalogue.text(language, f"staff.statuses.{status.value}"): period.leads[
                "by_status"
            ].get(status, 0)
            for status in LeadStatus
            if period.leads["by_status"].get(status)
        }
        rows(builder, t("by_status"), by_status)
        if period.asked is not None:
            asked = period.asked
            builder.paragraph(
                t(
                    "asked",
                    count=asked.total,
                    not_understood=asked.by_outcome.get(QuestionOutcome.NOT_UNDERSTOOD, 0),
                    share=round(100 * asked.not_understood_share),
                )
            )
            rows(
                builder,
                t("asked_by_intent"),
                {intent_name(i): n for i, n in asked.by_intent.items()},
            )
        builder.paragraph(
            t(
                "questions",
                count=period.uncertain_questions,
                not_understood=period.not_understood,
                share=round(100 * period.not_understood_share),
            )
        )
        rows(builder, t("by_intent"), {intent_name(i): n for i, n in period.by_best_guess.items()})
        builder.paragraph(t("top_unanswered"))
        lines = [t("question_row", count=n, text=text) for text, n in period.top_unanswered]
        builder.paragraph("\n".join(lines) or t("none"))
    return builder.build()


def weekly_chart_png(
    weekly_counts: WeeklyCounts,
    *,
    title: str = "",
    cluster_names: Mapping[str, str] | None = None,
    weeks: int | None = None,
    today: date | None = None,
) -> bytes:
    """Leads per week (x) stacked by cluster, as PNG bytes.

    `weekly_counts` is what `LeadStore.weekly_counts` returns: (Monday, cluster, leads). Weeks
    without a lead are drawn as zero, from the first week given (or `weeks` weeks before
    `today`'s week) to `today`'s week (or the last week given).
    """
    # Imported here, not at module level: matplotlib and numpy cost ~40 MB and ~0.1 s, which
    # the bot should pay only when someone asks for a chart.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = cluster_names or {}
    counts: dict[tuple[date, str], int] = {}
    for monday, cluster, n in weekly_counts:
        counts[(monday, cluster)] = counts.get((monday, cluster), 0) + n
    mondays_given = sorted({monday for monday, _cluster in counts})
    last = (today - timedelta(days=today.weekday())) if today else None
    if last is None:
        last = mondays_given[-1] if mondays_given else date.today()
    first = mondays_given[0] if mondays_given else last
    if weeks is not None:
        first = last - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    clusters = sorted({cluster for _monday, cluster in counts})

    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    # Positions, not the labels themselves, on the x axis: over a year "06/01" comes twice.
    positions = list(range(len(mondays)))
    labels = [monday.strftime("%d/%m") for monday in mondays]
    bottoms = [0] * len(mondays)
    for cluster in clusters:
        heights = [counts.get((monday, cluster), 0) for monday in mondays]
        axes.bar(positions, heights, bottom=bottoms, label=names.get(cluster, cluster))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    if clusters:
        axes.legend(loc="upper left", fontsize="small")
    axes.set_ylim(bottom=0, top=max([*bottoms, 1]) * 1.2)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    step = max(1, len(mondays) // 16)  # at most ~16 labels, readable on a phone
    axes.set_xticks(positions[::step], labels[::step])
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")
    if title:
        axes.set_title(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


async def weekly_chart(
    leads: LeadStore,
    catalogue: Catalogue,
    language: Language,
    now: datetime,
    weeks: int = CHART_WEEKS,
    knowledge: KnowledgeBase | None = None,
) -> bytes:
    """The PNG of leads per week and cluster over the last `weeks` weeks."""
    counts = await leads.weekly_counts(now - timedelta(weeks=weeks))
    # Drawing takes a fraction of a second of CPU: off the event loop, so others keep talking.
    return await asyncio.to_thread(
        weekly_chart_png,
        counts,
        title=catalogue.text(language, "staff_ws.stats.chart_title"),
        cluster_names={c.id: c.name for c in knowledge.clusters} if knowledge else None,
        weeks=weeks,
        today=now.date(),
    )


async def _stats_and_chart(
    settings: Settings, days: int, chart: Path | None, knowledge: KnowledgeBase | None
) -> tuple[str, bytes | None]:
    """The statistics text and, when `chart` is asked for, the PNG to write there."""
    database = await Database.open(settings.database_path)
    try:
        leads = LeadStore(database)
        now = utc_now()
        periods = await collect_stats(
            leads, UnansweredQuestionStore(database), now, (days,), QuestionLogStore(database)
        )
        catalogue = Catalogue.load()
        language = settings.default_language
        png: bytes | None = None
        if chart is not None:
            weeks = max(1, -(-days // 7))
            png = await weekly_chart(leads, catalogue, language, now, weeks, knowledge)
        return stats_reply(periods, catalogue, language, knowledge).plain_text(), png
    finally:
        await database.close()


def run_stats_command(
    settings: Settings,
    days: int,
    chart: Path | None,
    stdout: TextIO,
    knowledge: KnowledgeBase | None = None,
) -> int:
    """`wallonia-bot stats [--days N] [--chart FILE.png]`: the /stats text, and the chart."""
    if days < 1:
        raise ValueError("days must be at least 1")
    text, png = asyncio.run(_stats_and_chart(settings, days, chart, knowledge))
    if chart is not None and png is not None:
        chart.write_bytes(png)
    stdout.write(text + "\n")
    return EXIT_OK
