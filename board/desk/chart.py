"""The per-week participation chart, drawn on the server as SVG: bars for responses and comments, with a title and
a description; the page shows the same numbers in a table beside it."""

from __future__ import annotations

from markupsafe import Markup, escape

from .participation import WeekCount

HEIGHT = 260
SLOT, MIN_PLOT, MAX_PLOT = 60, 220, 680  # px per week; a few weeks make a small chart, not three fat bars
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 20, 40
RESPONSES_COLOUR, COMMENTS_COLOUR = "#8a2b1e", "#3c6e9f"  # the accent and a blue, both 4.5:1 or more on white


def weekly_chart(weeks: list[WeekCount], *, title: str = "Responses and comments per week") -> Markup:
    """An accessible bar chart (role img, <title> and <desc>) of responses and comments per week."""
    peak = max([1, *(w.responses for w in weeks), *(w.comments for w in weeks)])
    plot_w, plot_h = max(MIN_PLOT, min(MAX_PLOT, SLOT * len(weeks))), HEIGHT - TOP - BOTTOM
    width = LEFT + plot_w + RIGHT
    slot = plot_w / max(1, len(weeks))
    bar = max(1.0, min(24.0, slot * 0.38))
    desc = "; ".join(
        f"week of {w.start:%b} {w.start.day}: {w.responses} responses, {w.comments} comments" for w in weeks
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc or "No responses or comments yet.")}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{width - RIGHT}" y2="{TOP + plot_h}" stroke="#888"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11" fill="#555">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11" fill="#555">0</text>',
    ]
    label_every = max(1, round(len(weeks) / 12))
    for n, week in enumerate(weeks):
        x = LEFT + n * slot + slot / 2
        for value, colour, dx in ((week.responses, RESPONSES_COLOUR, -bar), (week.comments, COMMENTS_COLOUR, 0)):
            height = plot_h * value / peak
            parts.append(
                f'<rect x="{x + dx:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" height="{height:.1f}"'
                f' fill="{colour}"/>'
            )
        if n % label_every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" fill="#333">'
                f"{week.start:%b} {week.start.day}</text>"
            )
    legend_y = HEIGHT - 8
    parts += [
        f'<rect x="{LEFT}" y="{legend_y - 9}" width="10" height="10" fill="{RESPONSES_COLOUR}"/>',
        f'<text x="{LEFT + 14}" y="{legend_y}" font-size="12" fill="#333">Responses</text>',
        f'<rect x="{LEFT + 90}" y="{legend_y - 9}" width="10" height="10" fill="{COMMENTS_COLOUR}"/>',
        f'<text x="{LEFT + 104}" y="{legend_y}" font-size="12" fill="#333">Comments</text>',
        "</svg>",
    ]
    return Markup("".join(parts))
