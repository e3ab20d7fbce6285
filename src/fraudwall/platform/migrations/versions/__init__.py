"""One file per revision of the service's schema (Alembic reads them; see `migrate`)."""
