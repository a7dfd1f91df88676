"""Dagster definitions, one package per concern; merged in ``orchestration.definitions``."""
