"""Imports every model module so Base.metadata knows all tables (for Alembic)."""

from cetr_bot.storage import (
    models,
    models_actions,
    models_dsr,
    models_feedback,
    models_needs,
    models_pack,
    models_preparation,
    models_reminders,
    models_requests,
    models_retention,
    models_teams,
    models_updates,
    models_web,
)
from cetr_bot.storage.models import Base

__all__ = [
    "Base",
    "models",
    "models_actions",
    "models_dsr",
    "models_feedback",
    "models_needs",
    "models_pack",
    "models_preparation",
    "models_reminders",
    "models_requests",
    "models_retention",
    "models_teams",
    "models_updates",
    "models_web",
]
