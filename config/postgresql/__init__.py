"""Django's PostgreSQL backend, counting the COMMITs it sends (see ``base.py``)."""
