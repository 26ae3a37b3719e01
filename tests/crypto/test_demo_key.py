"""`make demo` makes its own local key file beside its database and says so."""

from __future__ import annotations

import asyncio
import stat

import pytest

from cetr_bot.storage.encrypted import KeyRing
from tests.conftest import PlayedDemo
from tests.crypto.test_at_rest import raw_dump

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(300)]


def test_the_demo_generates_a_local_key_and_says_so(played_demo: PlayedDemo):
    assert played_demo.exit_code == 0
    key_file = played_demo.folder / "data.key"
    assert "made a local data encryption key file" in played_demo.out
    assert str(key_file) in played_demo.out
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert key.partition(":")[2] not in played_demo.out  # the path, never the key
    ring = KeyRing.parse(key)
    dump = asyncio.run(raw_dump(f"sqlite+aiosqlite:///{played_demo.folder / 'demo.db'}"))
    answers = [v for t, c, v in dump if (t, c) == ("prep_answers", "value")]
    assert answers and all(v.startswith(f"v1:{ring.current_id}:") for v in answers)
    assert not [v for _, _, v in dump if "Funny and kind" in v]  # a demo answer
