"""Write the sample import files in tests/data/, byte for byte the same each run.

    .venv/bin/python tests/data/make_samples.py

The files imitate what reaches the task force: a donor's multi-sheet workbook
with title rows, totals, French headers, Swiss amounts and a formula; CSV saved
by Excel in Windows-1252; "Unicode text" (UTF-16 TSV) from Excel; a UTF-8 file
whose text was already mangled by a wrong decoding; an OCHA FTS flow export;
an empty file and an image renamed .csv.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_TIME = (2024, 12, 31, 12, 0, 0)


# ---------------------------------------------------------------------------
# XLSX


def pledges_workbook() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    readme = workbook.active
    readme.title = "Read me"
    readme.append(["Voluntary contributions and pledges 2024"])
    readme.append([])
    readme.append(["Sheet 'Pledges 2024': pledges received by the Secretariat."])
    readme.append(["Sheet 'Promesses': pledges announced at the regional forum."])
    readme.append(["Contact: resource mobilization task force."])

    sheet = workbook.create_sheet("Pledges 2024")
    sheet.append(["ITU – Voluntary contributions and pledges, 2024"])
    sheet.append(["Status as at 31.12.2024. Amounts in the currency of the pledge."])
    sheet.append([])
    sheet.append(["No.", "Donor", "Amount", "Currency", "Pledge date", "Type", "Notes"])
    rows = [
        [1, "Germany*", "CHF 1'234'567.50", None, datetime.date(2024, 3, 31)],
        [2, "Japan¹", 2500000, "JPY", "31.03.2024"],
        [3, "Korea (Rep. of)", "1’000’000", "CHF", 45382],
        [4, "Luxembourg, Government of", "EUR 250'000", None, "15.04.2024"],
        [5, "Switzerland", "=1000*12", "CHF", datetime.date(2024, 5, 2)],
        None,
        [6, "Côte d'Ivoire", "USD 2.5m", None, "2024-06-30"],
        [7, "Saudi Arabia", "(1,000)", "USD", "30/06/2024"],
        [8, "United Kingdom", 125000.75, "GBP", datetime.date(2024, 7, 1)],
    ]
    kinds = ["Cash", "In kind", "Cash", "Cash", "Cash", "", "Cash", "Cash", "Cash"]
    notes = ["", "Paid in yen", "", "", "", "", "", "Refund", ""]
    for row, kind, note in zip(rows, kinds, notes, strict=True):
        sheet.append([] if row is None else [*row, kind, note])
    sheet.append([None, "Total", "=SUM(C5:C13)"])
    sheet.append([])
    sheet.append(["* Provisional figure."])
    sheet.append(["¹ Converted at the UN operational rate of exchange."])

    french = workbook.create_sheet("Promesses")
    french.append(["Promesses de contributions annoncées au forum régional"])
    french.append([])
    french.append(["Donateur", "Montant", "Devise", "Date de la promesse", "Remarque"])
    french.append(["Côte d'Ivoire", "1\u202f234\u202f567,50", "XOF", "31.03.2024"])
    french.append(["France (a)", "1.234.567,50", "EUR", "15 mars 2024", "Promesse"])
    french.append(["Sénégal", "250 000", "XOF", "1er avril 2024"])
    french.append(["Sous-total", "=SUM(B4:B6)"])
    french.append(["Suisse", "CHF 75'000.-", "CHF", 45400])
    french.append(["Total général", "=SUM(B4:B8)"])
    french.append([])
    french.append(["(a) Montant indicatif."])

    workbook.properties.creator = "tests/data/make_samples.py"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """The same workbook with fixed timestamps, so reruns change no bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = "2024-12-31T12:00:00Z"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + stamp.encode(),
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


# ---------------------------------------------------------------------------
# Text files


def cp1252_csv() -> bytes:
    """Excel "CSV" on a French or Swiss Windows: semicolons, cp1252, CRLF."""
    text = (
        "Donateur;Montant;Devise;Date de la promesse\r\n"
        "Côte d'Ivoire;1.234.567,50;XOF;31.03.2024\r\n"
        "Sénégal;250.000,00;XOF;15.04.2024\r\n"
        "Türkiye;12.500,00;EUR;02.05.2024\r\n"
        "Total;1.497.067,50;;\r\n"
    )
    return text.encode("cp1252")


def utf16_tsv() -> bytes:
    """Excel "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF."""
    rows = [
        ["Name", "Organisation", "Role", "Email"],
        ["Amina Diallo", "Ministère de l'Économie numérique", "Director", "a.diallo"],
        ["Олег Петров", "Ministry of Digital Development", "Adviser", "o.petrov"],
        ["王芳", "Ministry of Industry and IT", "Deputy Director", "wang.fang"],
        [
            "فاطمة الزهراء",
            "Telecommunications Regulatory Authority",
            "Counsellor",
            "f.zahra",
        ],
        [
            "José Núñez",
            "Subsecretaría de Telecomunicaciones",
            "Head of Unit",
            "j.nunez",
        ],
    ]
    lines = [
        "\t".join([*row[:3], row[3] if i == 0 else row[3] + "@example.org"])
        for i, row in enumerate(rows)
    ]
    return b"\xff\xfe" + "\r\n".join([*lines, ""]).encode("utf-16-le")


def mojibake_csv() -> bytes:
    """UTF-8 with a BOM, but the names were already decoded as cp1252 once."""
    rows = [
        ["Donor", "Amount", "Currency", "Date"],
        ["Côte d'Ivoire".encode().decode("cp1252"), "10,000.00", "USD", "2024-03-31"],
        ["Türkiye".encode().decode("cp1252"), "25,000.00", "EUR", "2024-04-15"],
        [
            "São Tomé and Príncipe".encode().decode("cp1252"),
            "5,000",
            "USD",
            "2024-05-02",
        ],
        # Destroyed before it reached us: nothing to repair.
        ["C\ufffdte d'Ivoire", "1,000", "USD", "2024-06-01"],
        ["Germany", "1,000,000.00", "EUR", "2024-06-30"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


FTS_COLUMNS = [
    "date",
    "budgetYear",
    "description",
    "amountUSD",
    "srcOrganization",
    "srcOrganizationTypes",
    "srcLocations",
    "srcUsageYearStart",
    "srcUsageYearEnd",
    "destPlan",
    "destPlanCode",
    "destPlanId",
    "destOrganization",
    "destOrganizationTypes",
    "destGlobalClusters",
    "destLocations",
    "destProject",
    "destProjectCode",
    "destEmergency",
    "destUsageYearStart",
    "destUsageYearEnd",
    "contributionType",
    "flowType",
    "method",
    "boundary",
    "onBoundary",
    "status",
    "firstReportedDate",
    "decisionDate",
    "keywords",
    "originalAmount",
    "originalCurrency",
    "exchangeRate",
    "id",
    "refCode",
    "createdAt",
    "updatedAt",
]

# (donor, types, location, currency or "" for USD, units per USD)
FTS_DONORS = [
    (
        "Luxembourg, Government of",
        "Government,Governments",
        "Luxembourg",
        "EUR",
        "0.9218",
    ),
    (
        "Korea, Republic of",
        "Government,Governments",
        "Korea, Republic of",
        "KRW",
        "1335.2",
    ),
    ("Japan, Government of", "Government,Governments", "Japan", "JPY", "149.85"),
    (
        "Switzerland, Government of",
        "Government,Governments",
        "Switzerland",
        "CHF",
        "0.8812",
    ),
    (
        "United States of America, Government of",
        "Government,Governments",
        "United States",
        "",
        "",
    ),
    ("Germany, Government of", "Government,Governments", "Germany", "EUR", "0.9218"),
    ("Côte d'Ivoire, Government of", "Government,Governments", "Côte d'Ivoire", "", ""),
    (
        "European Commission",
        "Multilateral Organization,Inter-governmental",
        "",
        "EUR",
        "0.9218",
    ),
    (
        "Bill & Melinda Gates Foundation",
        "Private Organization/Foundation,Foundations",
        "United States",
        "",
        "",
    ),
    (
        "Telefónica S.A.",
        "Private Organization/Foundation,Private sector",
        "Spain",
        "EUR",
        "0.9218",
    ),
]


def fts_csv() -> bytes:
    """An OCHA FTS flow export: 30 flows to an ITU-like organisation."""
    rng = random.Random(4)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(FTS_COLUMNS)
    statuses = ["pledge", "commitment", "paid"]
    for number in range(30):
        donor, types, location, currency, rate = FTS_DONORS[number % len(FTS_DONORS)]
        status = statuses[number % 3]
        in_kind = number % 7 == 5
        day = datetime.date(2024, 1, 8) + datetime.timedelta(days=11 * number)
        usd = rng.randrange(20, 2000) * 1000
        if number == 17:
            usd = -45000  # a refund
        original = f"{usd * float(rate):.2f}" if currency else str(usd)
        flow_id = 1180000 + number * 37
        destinations = ["Kenya", "Uganda", "United Republic of Tanzania", "Rwanda"]
        locations = ",".join(destinations[: 1 + number % 4])
        clusters = (
            "Emergency Telecommunications,Coordination and support services"
            if number % 2
            else "Emergency Telecommunications"
        )
        created = f"{day.isoformat()}T09:{number:02d}:00.000Z"
        writer.writerow(
            [
                f"{day.isoformat()}T00:00:00Z",
                day.year,
                f"{'In-kind support' if in_kind else 'Contribution'} to digital "
                f"connectivity in emergencies ({donor.split(',')[0]})",
                usd,
                donor,
                types,
                location,
                2024,
                2024 if number % 5 else 2025,
                "",
                "",
                "",
                "International Telecommunication Union",
                "UN Agency,Multilateral Organization",
                clusters,
                locations,
                "",
                "",
                "",
                2024,
                2024 if number % 5 else 2025,
                "in kind" if in_kind else "financial",
                "Standard" if number % 9 else "Carryover",
                "Traditional aid",
                "incoming",
                "single",
                status,
                day.isoformat() + "T00:00:00Z",
                "" if status == "pledge" else day.isoformat() + "T00:00:00Z",
                "Connectivity,Digital inclusion" if number % 4 == 0 else "",
                original,
                currency,
                rate,
                flow_id,
                f"ITU-{day.year}-{number + 1:03d}",
                created,
                created,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def png_bytes() -> bytes:
    """A 2x2 grey PNG: a binary file some user will rename to .csv."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80\x80\x00\x80\x80", 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


SAMPLES = {
    "pledges_multisheet.xlsx": pledges_workbook,
    "donors_cp1252.csv": cp1252_csv,
    "contacts_utf16.tsv": utf16_tsv,
    "donors_mojibake_bom.csv": mojibake_csv,
    "fts_flows.csv": fts_csv,
    "empty.csv": lambda: b"",
    "image_renamed.csv": png_bytes,
}


def main() -> None:
    for name, make in SAMPLES.items():
        (HERE / name).write_bytes(make())
        print(f"wrote tests/data/{name}")


if __name__ == "__main__":
    main()
