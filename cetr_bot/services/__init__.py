"""The service layer: every business rule and permission check lives here."""
