"""Where keys come from: production refuses to start without one; development makes a
local key file once; `keys generate`; a bad key is refused without being shown."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from cetr_bot.storage.encrypted import KeyRing

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path, module: str | None = None, **env: str):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "DATABASE_URL", "DATA_ENCRYPTION_KEYS", "ENVIRONMENT")
    }
    environment.update(DATABASE_URL=f"sqlite:///{cwd / 'cetr.db'}", **env)
    command = (
        [sys.executable, "-m", module, *args]
        if module
        else [str(Path(sys.executable).with_name("cetr-bot")), *args]
    )
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=60, check=False
    )


def test_production_without_a_key_refuses_to_start(tmp_path):
    for ran in (
        _cli("run", cwd=tmp_path, ENVIRONMENT="production", BOT_TOKEN="123:abc"),
        _cli("--until-idle", cwd=tmp_path, module="cetr_bot.worker", ENVIRONMENT="production"),
        _cli("review", "list", cwd=tmp_path, ENVIRONMENT="production"),
    ):
        assert ran.returncode == 2, ran.stderr
        assert "DATA_ENCRYPTION_KEYS is not set" in ran.stderr
        assert "ENVIRONMENT=production" in ran.stderr and "Traceback" not in ran.stderr
    assert not (tmp_path / ".cetr-bot").exists() and not (tmp_path / "cetr.db").exists()


def test_development_makes_a_local_key_file_once_and_says_so(tmp_path):
    first = _cli("db", "upgrade", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / ".cetr-bot" / "data.key"
    assert "made a local data encryption key file, .cetr-bot/data.key" in first.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    KeyRing.parse(key)
    assert key.strip().partition(":")[2] not in first.stdout + first.stderr
    again = _cli("review", "list", cwd=tmp_path)
    assert again.returncode == 0 and "key file" not in again.stderr
    assert key_file.read_text() == key  # the same key: the database stays readable
    elsewhere = _cli("db", "upgrade", cwd=tmp_path, DATA_KEY_FILE=str(tmp_path / "k" / "f.key"))
    assert elsewhere.returncode == 0 and (tmp_path / "k" / "f.key").exists()


def test_keys_generate_prints_a_usable_new_key(tmp_path):
    one, two = _cli("keys", "generate", cwd=tmp_path), _cli("keys", "generate", cwd=tmp_path)
    assert one.returncode == two.returncode == 0
    assert one.stdout != two.stdout and "DATA_ENCRYPTION_KEYS" in one.stderr
    ring = KeyRing.parse(one.stdout)
    assert ring.decrypt(ring.encrypt("x", "t.c"), "t.c") == "x"
    assert not (tmp_path / "cetr.db").exists()  # no database needed
    helped = _cli("keys", "rotate", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "re-encrypt" in helped.stdout


def test_a_bad_key_is_refused_without_showing_it(tmp_path):
    material = "c2VjcmV0LW1hdGVyaWFsLXNob3J0"
    ran = _cli("review", "list", cwd=tmp_path, DATA_ENCRYPTION_KEYS=f"k1:{material}")
    assert ran.returncode == 2 and "DATA_ENCRYPTION_KEYS" in ran.stderr
    assert "32 bytes" in ran.stderr and material not in ran.stderr


def test_a_lost_key_is_found_at_start_not_on_every_read(tmp_path):
    made = _cli(
        "dsr", "add", "--ref", "YP-1", "--dob", "2012-01-01", "--rag", "red",
        "--reason", "Placement at risk", cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    key_file = tmp_path / ".cetr-bot" / "data.key"
    old_id = key_file.read_text().partition(":")[0]
    key_file.unlink()  # lost: a new one would be made, and the data not readable with it
    ran = _cli("review", "list", cwd=tmp_path)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert f"encrypted under key(s) {old_id}" in ran.stderr
    worker = _cli("--until-idle", cwd=tmp_path, module="cetr_bot.worker")
    assert worker.returncode == 2 and old_id in worker.stderr
