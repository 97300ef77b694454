"""The atlas as searchable documents: one per journey, step and persona, in both languages."""

from __future__ import annotations

from assistant.atlas.model import Atlas, Bi
from assistant.index.types import Chunk, Document


def _join(items: list[Bi], lang: str) -> str:
    return "; ".join(i.get(lang) for i in items)


def atlas_documents(atlas: Atlas) -> list[Document]:
    docs: list[Document] = []
    for j in atlas.journeys:
        stages = " → ".join(f"{s.name.vi} / {s.name.en}" for s in j.stages)
        docs.append(
            Document(
                id=f"atlas.journey.{j.id}",
                kind="atlas",
                title=f"{j.name.vi} / {j.name.en}",
                lang="vi+en",
                text=(
                    f"Hành trình / Journey: {j.name.vi} / {j.name.en}\n"
                    f"Mục tiêu / Goal: {j.goal.vi} / {j.goal.en}\n"
                    f"Khởi đầu / Trigger: {j.trigger.vi} / {j.trigger.en}\n"
                    f"Kết thúc / End: {j.end.vi} / {j.end.en}\n"
                    f"Giai đoạn / Stages: {stages}"
                ),
            )
        )
    for ref in atlas.step_refs():
        s, j, stage = ref.step, ref.journey, ref.stage
        lines = [
            f"{s.name.vi} / {s.name.en}",
            f"Hành trình / Journey: {j.name.vi} / {j.name.en} — {stage.name.vi} / {stage.name.en}",
            f"Mục đích / Intent: {s.intent.vi} / {s.intent.en}",
            f"Điểm chạm / Touchpoints: {', '.join(s.touchpoints)} ({s.channel})",
            f"Hành động / Actions: {_join(s.actions, 'vi')} / {_join(s.actions, 'en')}",
            f"Suy nghĩ / Thoughts: {_join(s.thoughts, 'vi')} / {_join(s.thoughts, 'en')}",
            f"Kỳ vọng / Expectations: {_join(s.expectations, 'vi')} / "
            f"{_join(s.expectations, 'en')}",
            f"Nỗi đau / Pain points: {_join(s.pain_points, 'vi')} / {_join(s.pain_points, 'en')}",
            f"Cảm xúc / Emotion: {s.emotion:+d}"
            + (" — khoảnh khắc của sự thật / moment of truth" if s.moment_of_truth else ""),
            f"Khía cạnh phản hồi / Feedback aspects: {', '.join(s.aspects)}",
        ]
        docs.append(
            Document(
                id=f"atlas.step.{ref.ref}",
                kind="atlas",
                title=f"{j.name.vi} › {s.name.vi}",
                title_en=f"{j.name.en} › {s.name.en}",
                lang="vi+en",
                text="\n".join(lines),
            )
        )
    for p in atlas.personas:
        dims = [f"{k}: {v.vi} / {v.en}" for k, v in p.dimensions.items()]
        docs.append(
            Document(
                id=f"atlas.persona.{p.id}",
                kind="atlas",
                title=f"Persona: {p.name.vi} / {p.name.en}",
                lang="vi+en",
                text="\n".join(
                    [f"Persona: {p.name.vi} / {p.name.en} ({p.customer_type})", *dims]
                    + [f"Mục tiêu / Goal: {g.vi} / {g.en}" for g in p.goals]
                    + [f"Nhu cầu / Need: {n.vi} / {n.en}" for n in p.needs]
                ),
            )
        )
    return docs


def whole_document_chunk(doc: Document) -> list[Chunk]:
    """Atlas documents are short records: each is one chunk."""
    return [
        Chunk(id=doc.id, doc_id=doc.id, kind=doc.kind, title=doc.title, text=doc.text, position=0)
    ]
