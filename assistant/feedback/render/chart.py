"""The emotion-curve chart of a journey summary: the atlas emotion per step (a line) and the
feedback's net sentiment per stage (bars), on one −2..+2 scale.

A manager reads it without help: the title names the journey, the period and the filters;
the y-axis names its scale; the bars are translucent and the line is drawn over them with a
white edge, so both show where they meet; and every value label is placed where it touches
no marker, line, bar or other label (candidate spots are tried in turn, measured on the
drawn figure). `label_collisions` reports what a label touches, for the tests.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STEP_COLOR, BAR_COLOR, MOT_COLOR = "#3366cc", "#ff9900", "#d62728"
BAR_WIDTH_PT = 7.0  # the bars' thickness, in points
MOT_SIZE = 230.0  # the moment-of-truth circles' area, in points²
LABEL_GID = "value-label"


@dataclass
class ChartStep:
    name: str
    emotion: int
    moment_of_truth: bool


@dataclass
class ChartStage:
    name: str
    steps: list[ChartStep]
    net_sentiment: float | None
    records: int


@dataclass
class ChartSpec:
    title: str
    stages: list[ChartStage]
    caption: str
    lang: str = "en"
    obstacles: list[Any] = field(default_factory=list)


def _signed(value: float) -> str:
    return f"{value:+.1f}".replace("-", "−") if value else "0.0"


def build_chart(spec: ChartSpec) -> Any:
    """The figure (matplotlib, Agg), every label placed; the caller saves or inspects it."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt

    vi = spec.lang == "vi"
    steps = [st for stage in spec.stages for st in stage.steps]
    fig, ax = plt.subplots(figsize=(11, 6.8))
    x = list(range(len(steps)))
    spans: list[tuple[int, int]] = []
    start = 0
    for i, stage in enumerate(spec.stages):
        end = start + len(stage.steps) - 1
        spans.append((start, end))
        ax.axvspan(start - 0.5, end + 0.5, color="#f2f2f2" if i % 2 else "white", zorder=0)
        ax.text((start + end) / 2, 2.5, stage.name, ha="center", va="bottom", fontsize=9,
                weight="bold")  # fmt: skip
        if stage.net_sentiment is not None:
            # Translucent and under the line: where both sit at one value, both show.
            ax.hlines(stage.net_sentiment, start - 0.35, end + 0.35, colors=BAR_COLOR,
                      linewidth=BAR_WIDTH_PT, alpha=0.55, zorder=2, gid="bar")  # fmt: skip
        start = end + 1
    ax.plot(x, [st.emotion for st in steps], marker="o", color=STEP_COLOR, linewidth=2, zorder=4,
            path_effects=[pe.Stroke(linewidth=4.5, foreground="white"), pe.Normal()],
            gid="emotion", label="Cảm xúc theo bản đồ hành trình (từng bước)" if vi
            else "Emotion on the journey map (per step)")  # fmt: skip
    mots = [i for i, st in enumerate(steps) if st.moment_of_truth]
    ax.scatter(mots, [steps[i].emotion for i in mots], s=MOT_SIZE, facecolors="none",
               edgecolors=MOT_COLOR, linewidths=2, zorder=5, gid="moments",
               label="Khoảnh khắc của sự thật" if vi else "Moment of truth")  # fmt: skip
    ax.plot([], [], color=BAR_COLOR, linewidth=BAR_WIDTH_PT, alpha=0.55,
            label="Cảm xúc ròng trong phản hồi (từng giai đoạn)" if vi
            else "Net sentiment in feedback (per stage)")  # fmt: skip
    ax.set_xticks(x, [st.name for st in steps], rotation=25, ha="right", fontsize=8)
    ax.set_xlim(-0.5, len(steps) - 0.5)
    ax.set_ylim(-2.75, 2.95)
    ax.set_yticks([-2, -1, 0, 1, 2], (
        ["−2 rất tiêu cực", "−1", "0 trung tính", "+1", "+2 rất tích cực"] if vi
        else ["−2 very negative", "−1", "0 neutral", "+1", "+2 very positive"]))  # fmt: skip
    ax.axhline(0, color="#999999", linewidth=0.8, zorder=1, gid="zero")
    ax.set_ylabel("Cảm xúc: −2 rất tiêu cực … +2 rất tích cực" if vi
                  else "Emotion: −2 very negative … +2 very positive")  # fmt: skip
    fig.suptitle(spec.title, fontsize=11)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.04), ncol=3, fontsize=8, frameon=False)
    caption = "\n".join(textwrap.wrap(spec.caption, 150))
    fig.text(0.01, 0.01, caption, fontsize=7.5, va="bottom", ha="left")
    fig.tight_layout(rect=(0, 0.03 + 0.022 * caption.count("\n"), 1, 1))

    # The value labels, each where it touches nothing: tried spot by spot on the drawn figure.
    fig.canvas.draw()
    few = "ít dữ liệu" if vi else "too few"
    for stage, (s0, s1) in zip(spec.stages, spans, strict=True):
        mid = (s0 + s1) / 2
        if stage.net_sentiment is None:
            text, base = f"n={stage.records} ({few})", 2.3
        else:
            text = f"{_signed(stage.net_sentiment)} (n={stage.records})"
            base = stage.net_sentiment
        _place(fig, ax, text, mid, base, s0, s1, color="#b36b00" if stage.net_sentiment
               is not None else "#777777")  # fmt: skip
    return fig


def _candidates(mid: float, base: float, s0: int, s1: int) -> list[tuple[float, float, str]]:
    """(x, y, va) spots for a stage's label: just under or over its bar first, then further
    away, then towards the stage's edges."""
    xs = [mid] + [v for v in (s0 - 0.1, s1 + 0.1, mid - 0.5, mid + 0.5) if v != mid]
    out = []
    for dy in (0.17, 0.35, 0.55, 0.8, 1.05, 1.35):
        for x in xs:
            out += [(x, base - dy, "top"), (x, base + dy, "bottom")]
    return [(x, y, va) for x, y, va in out if -2.7 <= y <= 2.45]


def _place(fig: Any, ax: Any, text: str, mid: float, base: float, s0: int, s1: int,
           color: str) -> Any:  # fmt: skip
    renderer = fig.canvas.get_renderer()
    for x, y, va in _candidates(mid, base, s0, s1):
        label = ax.text(x, y, text, ha="center", va=va, fontsize=8, color=color, zorder=6,
                        gid=LABEL_GID)  # fmt: skip
        if not label_collisions(fig, ax, label, renderer):
            return label
        label.remove()
    # Nowhere free (a crowded chart): the first spot, so the figure is never silent.
    x, y, va = _candidates(mid, base, s0, s1)[0]
    return ax.text(x, y, text, ha="center", va=va, fontsize=8, color=color, zorder=6,
                   gid=LABEL_GID)  # fmt: skip


def label_collisions(fig: Any, ax: Any, label: Any, renderer: Any = None) -> list[str]:
    """What `label` touches on the drawn figure: the emotion line or its markers, a
    moment-of-truth circle, a bar, the zero line, another label or a stage name; sampled
    every pixel or so along each line."""
    import numpy as np

    renderer = renderer or fig.canvas.get_renderer()
    box = label.get_window_extent(renderer).expanded(1.0, 1.0)
    px = fig.dpi / 72.0

    def inside(points: Any, pad: float = 0.0) -> bool:
        p = np.asarray(points, dtype=float).reshape(-1, 2)
        return bool(np.any((p[:, 0] >= box.x0 - pad) & (p[:, 0] <= box.x1 + pad)
                           & (p[:, 1] >= box.y0 - pad) & (p[:, 1] <= box.y1 + pad)))  # fmt: skip

    def along(xy: Any) -> Any:
        pts = ax.transData.transform(np.asarray(xy, dtype=float))
        out = [pts[:1]]
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            n = max(2, int(np.hypot(*(b - a))))
            out.append(np.linspace(a, b, n))
        return np.concatenate(out)

    hits: list[str] = []
    for line in ax.get_lines():
        xy = line.get_xydata()
        if line.get_gid() == "emotion" and len(xy):
            if inside(along(xy), pad=1.0 * px):
                hits.append("emotion line")
            if inside(ax.transData.transform(xy), pad=3.5 * px):
                hits.append("emotion marker")
        elif line.get_gid() == "zero":
            x0, x1 = ax.get_xlim()
            if inside(along([(x0, 0.0), (x1, 0.0)]), pad=0.5 * px):
                hits.append("zero line")
    for coll in ax.collections:
        if coll.get_gid() == "moments":
            radius = (MOT_SIZE**0.5) / 2 * px + 1.0 * px
            if inside(ax.transData.transform(coll.get_offsets()), pad=radius):
                hits.append("moment-of-truth circle")
        elif coll.get_gid() == "bar":
            for seg in coll.get_segments():
                if inside(along(seg), pad=BAR_WIDTH_PT / 2 * px):
                    hits.append("bar")
    for other in ax.texts:
        if other is label or not other.get_visible() or not other.get_text():
            continue
        if other.get_window_extent(renderer).overlaps(box):
            hits.append(f"text {other.get_text()!r}")
    return hits


def draw_chart(spec: ChartSpec, path: Path) -> Path:
    """Build the chart and save it as a PNG."""
    import matplotlib.pyplot as plt

    fig = build_chart(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
