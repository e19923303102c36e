"""Importable resources by name; apps declare theirs in ``<app>/resources.py``."""

from __future__ import annotations

from django.utils.module_loading import autodiscover_modules

from crm.imports.engine import Resource

_RESOURCES: dict[str, type[Resource]] = {}
_discovered = False


def register(resource: type[Resource]) -> type[Resource]:
    _RESOURCES[resource.name] = resource
    return resource


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("resources")
        _discovered = True


def get_resource(name: str) -> type[Resource]:
    _discover()
    try:
        return _RESOURCES[name]
    except KeyError:
        raise LookupError(
            f"Unknown resource {name!r}; choose from {', '.join(sorted(_RESOURCES))}."
        ) from None


def all_resources() -> dict[str, type[Resource]]:
    _discover()
    return dict(sorted(_RESOURCES.items()))


def resources_for_model(model) -> list[type[Resource]]:
    _discover()
    return [r for r in _RESOURCES.values() if r.model is model]
