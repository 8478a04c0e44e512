from concurrent.futures import ThreadPoolExecutor

import psycopg

from clinic.migrate import discover, migrate, status


def test_fresh_database_is_created_and_fully_migrated(empty_db_url: str) -> None:
    applied = migrate(empty_db_url)
    assert [m.version for m in applied] == [m.version for m in discover()]
    assert status(empty_db_url)["pending"] == []
    with psycopg.connect(empty_db_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"clinics", "patients", "appointments", "slots", "call_lists", "call_attempts", "dnc",
            "events", "api_keys"} <= tables


def test_up_to_date_database_is_left_alone(db_url: str) -> None:
    assert migrate(db_url) == []
    with psycopg.connect(db_url) as conn:
        count = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert count is not None and count[0] == len(discover())


def test_concurrent_runners_apply_each_migration_once(empty_db_url: str) -> None:
    migrate(empty_db_url)  # create the database first so the race is about migrations only
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("DROP TABLE schema_migrations")
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: migrate(empty_db_url), range(4)))
    assert sum(len(r) for r in results) == len(discover())
