"""Faults of the storage under the data folder: two writers at once, a read-only folder, a
full disk, a run killed half-way. Each reproduces what a fault probe found."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.index.store import ChunkStore
from assistant.kb.base import KnowledgeBase
from assistant.kb.doctor import run_doctor
from assistant.surfaces.cli import main

REPO = Path(__file__).resolve().parents[1]
COMMENTS = [
    "Giao hàng nhanh, đóng gói cẩn thận, rất hài lòng",
    "Nhân viên tư vấn nhiệt tình nhưng giá hơi cao",
    "Pin yếu, dùng nửa ngày đã hết, thất vọng",
    "Thanh toán online bị lỗi mãi không xong",
    "Máy chụp ảnh đẹp, màn hình sáng",
    "Đổi trả rắc rối, chờ cả tuần mới được hoàn tiền",
    "Ứng dụng hay bị treo khi đặt hàng",
    "Shipper gọi trước khi giao, rất lịch sự",
    "Bảo hành lâu quá, gọi tổng đài không ai nghe",
    "Giá tốt so với thị trường, sẽ mua lại",
]


def _feedback_file(path: Path, tag: str) -> Path:
    rows = [f'"{c} ({tag} {i})",{1 + i % 5}' for i, c in enumerate(COMMENTS)]
    path.write_text("comment,rating\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base_dir(methodology_kb: KnowledgeBase, embedder, tmp_path_factory) -> Path:
    """Methodology and atlas indexed, no feedback: each test copies it."""
    data = tmp_path_factory.mktemp("faults") / "data"
    shutil.copytree(methodology_kb.settings.cx_data_dir, data)
    settings = methodology_kb.settings.model_copy(update={"cx_data_dir": data})
    KnowledgeBase.open(settings, embedder).index_atlas(progress=False)
    return data


@pytest.fixture
def data(base_dir: Path, tmp_path: Path, monkeypatch, embedder) -> Path:
    out = tmp_path / "data"
    shutil.copytree(base_dir, out)
    monkeypatch.setenv("CX_DATA_DIR", str(out))
    monkeypatch.setenv("CX_CORPUS_DIR", str(REPO / "corpus"))
    monkeypatch.setattr("assistant.kb.base.make_embedder", lambda settings: embedder)
    return out


def _kb(data: Path, embedder, **update) -> KnowledgeBase:
    settings = Settings(_env_file=None, cx_data_dir=data, cx_corpus_dir=REPO / "corpus", **update)
    return KnowledgeBase.open(settings, embedder)


# -- 1. two writers at once ---------------------------------------------------------------


def test_two_concurrent_ingests_wait_for_each_other(data, tmp_path, embedder):
    env = os.environ | {"CX_DATA_DIR": str(data), "CX_CORPUS_DIR": str(REPO / "corpus")}
    files = [_feedback_file(tmp_path / f"f{n}.csv", f"f{n}") for n in (1, 2)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "assistant.surfaces.cli", "ingest", str(f)],
                         env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)  # fmt: skip
        for f in files
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    kb = _kb(data, embedder)
    store = kb.feedback()
    assert store.count() == 2 * len(COMMENTS)
    assert store.unfinished_ids() == set()  # every record tagged and linked
    assert len(kb.store("feedback").ids()) == 2 * len(COMMENTS)
    report = run_doctor(kb, repair=False)
    assert report.ok, report.text()


def test_two_threads_of_one_process_write_one_at_a_time(tmp_path, embedder):
    # Two chat uploads on two workers of one bot: the second waits as another process would.
    settings = Settings(_env_file=None, cx_data_dir=tmp_path / "d", cx_corpus_dir=REPO / "corpus")
    kb = KnowledgeBase.open(settings, embedder)
    inside, release, order = threading.Event(), threading.Event(), []

    def first() -> None:
        with kb.writing():
            order.append("first in")
            inside.set()
            release.wait(10)
            order.append("first out")

    def second() -> None:
        inside.wait(10)
        with kb.writing():
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    inside.wait(10)
    time.sleep(0.3)  # room for the second to get in, were it let in
    assert order == ["first in"]
    release.set()
    for t in threads:
        t.join(10)
    assert order == ["first in", "first out", "second in"]


def test_a_writer_waits_for_the_lock_and_gives_up_after_the_timeout(data, embedder, capsys):
    from assistant.core.errors import DataFolderBusyError

    kb = _kb(data, embedder, cx_write_lock_timeout_s=0.5)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
         str(data / ".write.lock")], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataFolderBusyError, match="CX_WRITE_LOCK_TIMEOUT_S"), kb.writing():
            pass
        assert "waiting for another ingest/index to finish" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    with kb.writing(), kb.writing():  # free again; nested blocks take it once
        pass


# -- 2. a read-only data folder -------------------------------------------------------------


def test_a_read_only_folder_answers_and_refuses_writes_plainly(data, tmp_path, capsys,
                                                              monkeypatch):  # fmt: skip
    f = _feedback_file(tmp_path / "f.csv", "ro")
    assert main(["ingest", "--no-embed", str(f)]) == 0
    capsys.readouterr()
    before = {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()}
    # Tests run as root here, where permission bits stop no write: the read-only path is
    # forced with the setting (the same path a folder without write permission takes;
    # test_a_folder_without_write_permission_is_read_only checks that one as nobody).
    monkeypatch.setenv("CX_READ_ONLY", "1")
    assert main(["ask", "what is a customer journey map?"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() and "cannot be opened" not in out.err
    assert main(["ingest", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"The data folder {data} is read-only" in err
    assert "Delete" not in err and "damaged" not in err and "move it away" not in err
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()} == before


def test_the_feedback_store_opens_read_only_without_writing(data, embedder):
    from assistant.core.errors import DataFolderReadOnlyError
    from assistant.feedback.store import SQLiteFeedbackStore

    _kb(data, embedder).feedback().close()  # created, migrated
    store = SQLiteFeedbackStore(data / "feedback.sqlite", read_only=True)
    assert store.count() == 0
    with pytest.raises(DataFolderReadOnlyError, match="read-only"):
        store.share_source("x")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to run a command as another user")  # fmt: skip
def test_a_folder_without_write_permission_is_read_only(data, tmp_path):
    """As root, a real read-only folder: the data copied where `nobody` can read it only."""
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="cx-ro-"))
    try:
        ro = where / "data"
        shutil.copytree(data, ro)
        subprocess.run(["chmod", "-R", "a+rX,a-w", str(ro)], check=True)
        os.chmod(where, 0o755)
        env = os.environ | {"CX_DATA_DIR": str(ro), "CX_CORPUS_DIR": str(REPO / "corpus"),
                            "HOME": str(where)}  # fmt: skip
        run = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
               "-m", "assistant.surfaces.cli"]  # fmt: skip
        probe = subprocess.run([*run[:-2], "-c", "import assistant"], env=env, cwd=where,
                               capture_output=True)  # fmt: skip
        if probe.returncode:
            pytest.skip("nobody cannot read the virtual environment here")
        ask = subprocess.run([*run, "ask", "what is a customer journey map?"], env=env,
                             cwd=where, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert ask.returncode == 0, ask.stderr[-2000:]
        f = _feedback_file(where / "f.csv", "nobody")
        ingest = subprocess.run([*run, "ingest", str(f)], env=env, cwd=where,
                                capture_output=True, text=True, timeout=300)  # fmt: skip
        assert ingest.returncode == 2
        assert f"The data folder {ro} is read-only" in ingest.stderr
        assert "Delete" not in ingest.stderr and "Traceback" not in ingest.stderr
    finally:
        shutil.rmtree(where, ignore_errors=True)


# -- 3. a full disk -------------------------------------------------------------------------


def _full_disk(monkeypatch, free_mb: int = 10) -> None:
    usage = shutil.disk_usage("/")
    monkeypatch.setattr("assistant.core.datadir.shutil.disk_usage",
                        lambda p: usage._replace(free=free_mb * 1024 * 1024))  # fmt: skip


def test_a_full_disk_is_reported_as_such(data, tmp_path, capsys, monkeypatch):
    from chromadb.errors import InternalError

    def compaction_fails(self, *args, **kwargs):  # what Chroma raises when it cannot write
        def fail(**_):
            raise InternalError("Error in compaction: something went wrong")

        self._call(fail)

    f = _feedback_file(tmp_path / "f.csv", "full")
    monkeypatch.setattr(ChunkStore, "upsert", compaction_fails)
    _full_disk(monkeypatch)
    assert main(["ingest", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"The disk holding {data} is full: 10 MB free, about 64 MB needed" in err
    assert "Traceback" not in err and "something went wrong" not in err and "Delete" not in err

    # Afterwards Chroma fails on reads too: doctor and ask say why, with no traceback.
    def read_fails(self):
        def fail():
            raise InternalError("Error in compaction: something went wrong")

        return self._call(fail)

    monkeypatch.setattr(ChunkStore, "count", read_fails)
    assert main(["doctor", "--check"]) == 1
    out = capsys.readouterr()
    assert "is full: 10 MB free" in out.out and "Traceback" not in out.out + out.err
    assert main(["ask", "what is a customer journey map?"]) == 2
    out = capsys.readouterr()
    assert "is full" in out.err and "Traceback" not in out.out + out.err


def test_enospc_from_sqlite_or_the_filesystem_names_the_disk(data, embedder, monkeypatch):
    from assistant.core.datadir import storage_error
    from assistant.core.errors import DiskFullError

    err = storage_error(OSError(errno.ENOSPC, "No space left on device"), data)
    assert isinstance(err, DiskFullError) and str(data) in str(err)
    kb = _kb(data, embedder)
    store = kb.feedback()

    def add_fails(records):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "add", add_fails)
    with pytest.raises(DiskFullError, match="is full"), kb.writing():
        kb.ingest(_feedback_file(data.parent / "f.csv", "enospc"), progress=False, embed=False)


# -- 4. a run killed half-way -------------------------------------------------------------


def test_work_left_half_done_is_reported_and_finished(data, tmp_path, embedder, capsys):
    f = _feedback_file(tmp_path / "f.csv", "kill")
    kb = _kb(data, embedder)
    report = kb.ingest(f, progress=False, embed=False)  # killed before tagging and linking
    assert report.accepted == len(COMMENTS)
    kb.feedback().close()

    assert main(["doctor", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"incomplete work: {len(COMMENTS)} records stored but not tagged" in out

    assert main(["ingest", str(f)]) == 0
    out = capsys.readouterr().out
    assert f"0 accepted, 0 rejected, {len(COMMENTS)} duplicates" in out
    assert f"completed the work an interrupted run left: {len(COMMENTS)} stored" in out
    kb = _kb(data, embedder)
    store = kb.feedback()
    assert store.unfinished_ids() == set()
    assert sum(store.tag_origins().values()) == len(COMMENTS)
    assert len(store.linked_ids()) == len(COMMENTS)
    assert len(kb.store("feedback").ids()) == len(COMMENTS)  # embedded by the re-run
    assert main(["doctor", "--check"]) == 0
