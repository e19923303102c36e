"""Importable partners, contacts (with their affiliation) and engagements."""

from partners.importers import contacts, engagements, partners  # noqa: F401 (registers them)
