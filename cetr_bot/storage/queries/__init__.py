"""Read-only queries for the layers above the services (the planner, the composers):
what they read without going through a service's permission check or writes."""
