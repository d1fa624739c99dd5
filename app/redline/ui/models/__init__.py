"""Qt item models over the services' values (ids-only snapshots, lazily loaded pages)."""
