"""Alembic environment shared by the three services.

Each service keeps its own revisions in services/<service>/migrations/; `shared.migrate`
hands this environment the service's metadata and database URL.
"""

from alembic import context

config = context.config
metadata = config.attributes["metadata"]
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
