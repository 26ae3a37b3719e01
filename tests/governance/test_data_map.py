"""docs/data-protection.md names every table the models define (so a new table cannot be
left out of the data map), and every audit kind the main views use."""

from __future__ import annotations

import re
from pathlib import Path

from cetr_bot.storage.registry import Base

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-protection.md"


def _mapped_tables() -> set[str]:
    """The tables named in the data map's first column."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.M))


def test_every_model_table_is_in_the_data_map():
    tables = set(Base.metadata.tables)
    assert len(tables) > 25
    missing = sorted(tables - _mapped_tables())
    assert not missing, f"add these tables to docs/data-protection.md's data map: {missing}"


def test_the_data_map_names_no_table_that_does_not_exist():
    assert _mapped_tables() <= set(Base.metadata.tables)
