"""Messages the bot sends on its own: reminders, notices, follow-ups, and their keyboards."""
