"""A journey of the atlas as readable text (for `cx-assistant atlas show`)."""

from __future__ import annotations

from assistant.atlas.model import Atlas, Journey

_EMOJI = {-2: "😡", -1: "🙁", 0: "😐", 1: "🙂", 2: "😄"}
LABELS = {
    "vi": {
        "goal": "Mục tiêu", "trigger": "Khởi đầu", "end": "Kết thúc", "personas": "Persona",
        "stage": "Giai đoạn", "touch": "Điểm chạm", "expect": "Kỳ vọng", "pain": "Nỗi đau",
        "mot": "khoảnh khắc của sự thật", "aspects": "Khía cạnh", "from": "Đến từ",
        "to": "Dẫn tới", "metrics": "Chỉ số",
    },
    "en": {
        "goal": "Goal", "trigger": "Trigger", "end": "End", "personas": "Personas",
        "stage": "Stage", "touch": "Touchpoints", "expect": "Expectations", "pain": "Pain points",
        "mot": "moment of truth", "aspects": "Aspects", "from": "Comes from", "to": "Leads to",
        "metrics": "Metrics",
    },
}  # fmt: skip


def render_journey(atlas: Atlas, journey: Journey, lang: str = "vi") -> str:
    t = LABELS[lang]
    personas = [atlas.persona(p) for p in journey.personas]
    lines = [
        f"# {journey.name.get(lang)} ({journey.id})",
        f"{t['goal']}: {journey.goal.get(lang)}",
        f"{t['trigger']}: {journey.trigger.get(lang)}",
        f"{t['end']}: {journey.end.get(lang)}",
        f"{t['personas']}: " + ", ".join(p.name.get(lang) for p in personas if p),
    ]
    first, last = None, None
    for _stage, step in journey.steps():
        first = first or f"{journey.id}.{step.id}"
        last = f"{journey.id}.{step.id}"
    incoming = [link.from_ for link in atlas.links if link.to == first]
    if incoming:
        lines.append(f"{t['from']}: {', '.join(incoming)}")
    for n, stage in enumerate(journey.stages, 1):
        lines.append(f"\n## {t['stage']} {n}: {stage.name.get(lang)}")
        for step in stage.steps:
            mot = f"  ★ {t['mot']}" if step.moment_of_truth else ""
            lines.append(f"- {_EMOJI[step.emotion]} {step.name.get(lang)} [{step.id}]{mot}")
            lines.append(f"    {t['touch']}: {', '.join(step.touchpoints)} ({step.channel})")
            if step.expectations:
                lines.append(
                    f"    {t['expect']}: " + "; ".join(e.get(lang) for e in step.expectations)
                )
            if step.pain_points:
                lines.append(
                    f"    {t['pain']}: " + "; ".join(p.get(lang) for p in step.pain_points)
                )
            metrics = step.metrics.operational + step.metrics.perception + step.metrics.outcome
            if metrics:
                lines.append(f"    {t['metrics']}: {', '.join(metrics)}")
            lines.append(f"    {t['aspects']}: {', '.join(step.aspects)}")
    outgoing = [link.to for link in atlas.links if link.from_ == last]
    if outgoing:
        lines.append(f"\n{t['to']}: {', '.join(outgoing)}")
    return "\n".join(lines)
