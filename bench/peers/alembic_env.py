# bench/peers/alembic_env.py - env.py of the alembic project that
# bench/peers.sh generates.  The database comes from BENCH_ALEMBIC_URL.
#
# Configured to do the work strata does: one transaction per migration
# (transaction_per_migration), DDL inside it (transactional_ddl).  On SQLite
# the driver's own transaction handling is switched off and BEGIN sent
# explicitly, the recipe SQLAlchemy documents, so that CREATE TABLE really
# runs in the migration's transaction.
import os

from alembic import context
from sqlalchemy import create_engine, event

url = os.environ["BENCH_ALEMBIC_URL"]

if url.startswith("sqlite"):
    engine = create_engine(url, connect_args={"isolation_level": None})

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

else:
    engine = create_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=None,
        transaction_per_migration=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
