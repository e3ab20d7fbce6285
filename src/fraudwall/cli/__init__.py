"""The `fraudwall` command: a thin skin over the library."""
