"""Importers by name; apps declare theirs in ``<app>/importers.py``."""

from __future__ import annotations

from django.utils.module_loading import autodiscover_modules

from crm.imports.engine import Importer

_IMPORTERS: dict[str, type[Importer]] = {}
_discovered = False


def register(importer: type[Importer]) -> type[Importer]:
    _IMPORTERS[importer.name] = importer
    return importer


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("importers")
        _discovered = True


def get_importer(name: str) -> type[Importer]:
    _discover()
    try:
        return _IMPORTERS[name]
    except KeyError:
        raise LookupError(
            f"Unknown importer {name!r}; choose from {', '.join(sorted(_IMPORTERS))}."
        ) from None


def all_importers() -> dict[str, type[Importer]]:
    _discover()
    return dict(sorted(_IMPORTERS.items()))


def importers_for_model(model) -> list[type[Importer]]:
    _discover()
    return [r for r in _IMPORTERS.values() if r.model is model]
