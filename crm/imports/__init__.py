"""Imports of spreadsheets into the CRM: engine, registry, admin, command, task."""
