"""Briefs and briefing packs: build the data, render it, log the print.

- ``data``: the plain dataclasses a document holds (``BriefRequest``, ``Pack``).
- ``sections``: each section of a partner's brief, fetched for all partners
  of a document at once.
- ``build``: ``brief_build``, the data of every kind of document.
- ``printing``: ``brief_render``, ``brief_print`` (the one way to print, with
  its log entry), ``brief_enqueue`` and ``brief_run_queued`` for the worker.
"""
