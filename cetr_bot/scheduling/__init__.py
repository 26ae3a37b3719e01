"""Reminders: the planner decides which reminder rows exist; the dispatcher sends due ones."""
