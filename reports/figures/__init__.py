"""The report pages' figures: one module per report (see ``tables``)."""
