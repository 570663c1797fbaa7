"""Each service's Alembic revisions build exactly the schema its models declare, on SQLite
and PostgreSQL."""
import pytest

from services.registry import SERVICES, settings_class
from services.registry import app_module
from shared import migrate


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_schema_matches_the_models(databases, service):
    runtime = app_module(service).build_runtime(settings_class(service).load({"DATABASE_URL": databases.new(service)}))
    try:
        migrate.upgrade(service, runtime.db)
        assert migrate.differences(runtime.db) == []
        migrate.upgrade(service, runtime.db)  # running it again changes nothing
        assert migrate.differences(runtime.db) == []
    finally:
        runtime.db.dispose()
