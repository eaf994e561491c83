"""Alembic migrations: the only place where yuqing's DDL lives."""
