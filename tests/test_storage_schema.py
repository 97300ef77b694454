"""The relational store's migrations: a new database reaches the latest version, and a
second upgrade applies nothing."""

from assistant.core.settings import Settings
from assistant.storage import current_version, open_engine, upgrade
from assistant.storage.migrations import MIGRATIONS


def test_upgrade_reaches_the_latest_version_once(tmp_path):
    settings = Settings(_env_file=None, cx_data_dir=tmp_path)
    engine = open_engine(settings)
    assert current_version(engine) == 0
    applied = upgrade(engine)
    assert applied == [n for n, _, _ in MIGRATIONS]
    assert current_version(engine) == MIGRATIONS[-1][0]
    assert upgrade(engine) == []
    assert (tmp_path / "state.sqlite").exists()
