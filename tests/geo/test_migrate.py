"""``db migrate`` on databases it did not create."""

import psycopg
import pytest

from geo import db, migrate
from geo.errors import DatabaseError
from tests.conftest import _admin


def test_migrating_without_privileges_explains_what_to_ask_for(server_url):
    with _admin(server_url) as conn:
        conn.execute("DROP DATABASE IF EXISTS fq_noperm WITH (FORCE)")
        conn.execute("DROP ROLE IF EXISTS fq_weak")
        conn.execute("CREATE ROLE fq_weak LOGIN")
        conn.execute("CREATE DATABASE fq_noperm")
    try:
        engine = db.make_engine(server_url.set(database="fq_noperm", username="fq_weak"))
        with pytest.raises(DatabaseError, match="ALTER ROLE fq_weak BYPASSRLS"):
            migrate.upgrade(engine)  # the owner must load with COPY past row-level security
        with _admin(server_url) as conn:
            conn.execute("ALTER ROLE fq_weak BYPASSRLS")
        with pytest.raises(DatabaseError, match="CREATE EXTENSION postgis"):
            migrate.upgrade(engine)
        engine.dispose()
    finally:
        with _admin(server_url) as conn:
            conn.execute("DROP DATABASE IF EXISTS fq_noperm WITH (FORCE)")
            conn.execute("DROP ROLE IF EXISTS fq_weak")
