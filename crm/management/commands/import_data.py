"""Import a CSV, TSV or XLSX file: ``manage.py import_data pledges donors.xlsx``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.imports.engine import ERROR, ImportOptions
from crm.imports.registry import all_importers
from crm.imports.services import batch_create, batch_run, upload_check
from crm.lib.tabular import TableError


class Command(BaseCommand):
    help = (
        "Import a spreadsheet. All or nothing: with any error nothing is written "
        "unless --valid-rows-only. Prints the counts; exits 1 on errors."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("resource", choices=sorted(all_importers()))
        parser.add_argument("file", type=Path)
        parser.add_argument("--sheet", help="sheet name or 1-based position (XLSX)")
        parser.add_argument("--format", choices=["csv", "tsv", "xlsx"])
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="import the valid rows even when others have errors",
        )
        parser.add_argument(
            "--report", type=Path, help="write the rows with an error column here"
        )
        parser.add_argument(
            "--create-partners",
            action="store_true",
            help="create partners that match none",
        )
        dates = parser.add_mutually_exclusive_group()
        dates.add_argument(
            "--dayfirst", dest="dayfirst", action="store_true", default=True
        )
        dates.add_argument("--monthfirst", dest="dayfirst", action="store_false")
        parser.add_argument("--user", help="username recorded on the import batch")
        parser.add_argument(
            "--lever",
            help="lever code for pledge rows the file gives no lever "
            "(required when a pledge file has no lever column)",
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        if not options["format"]:
            # A file over the import limits is refused before a batch is made.
            try:
                upload_check(data=data, file_name=path.name)
            except TableError as error:
                raise CommandError(f"{path.name}: {error}") from None
        import_options = ImportOptions(
            sheet=options["sheet"],
            format=options["format"],
            dayfirst=options["dayfirst"],
            create_partners=options["create_partners"],
            valid_rows_only=options["valid_rows_only"],
            lever=options["lever"],
        )
        batch = batch_create(
            resource=options["resource"],
            data=data,
            file_name=path.name,
            options=import_options,
            user=user,
            dry_run=options["dry_run"],
        )
        result = batch_run(batch=batch, data=data)
        for row in result.rows:
            if row.outcome == ERROR:
                self.stderr.write(row.message)
        for note in result.notes:
            self.stdout.write(note)
        if result.unknown_columns:
            self.stdout.write(
                "Columns not imported: " + ", ".join(result.unknown_columns)
            )
        if options["report"] and result.rows:
            report = options["report"]
            if report.suffix.lower() == ".xlsx":
                report.write_bytes(result.report_xlsx())
            else:
                report.write_bytes(
                    result.report_csv("\t" if report.suffix.lower() == ".tsv" else None)
                )
            self.stdout.write(f"Report written to {options['report']}")
        counts = result.counts
        self.stdout.write(
            f"{path.name} ({options['resource']}, batch {batch.pk}): "
            f"{counts['new']} new, {counts['update']} updated, "
            f"{counts['unchanged']} unchanged, {counts['skipped']} skipped, "
            f"{counts['error']} errors."
        )
        self.stdout.write(result.summary())
        if result.has_errors:
            raise CommandError(
                result.file_error
                or f"{counts['error']} rows with errors"
                + ("" if result.written else "; nothing was imported.")
            )
