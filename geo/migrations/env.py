"""Alembic environment: migrates the connection handed over by ``geo.migrate``."""

from alembic import context

from geo.migrate import autogenerate_options


def run_migrations() -> None:
    context.configure(connection=context.config.attributes["connection"], **autogenerate_options())
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
