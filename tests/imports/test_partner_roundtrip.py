"""The Partners list's Export imports back as it is: "already up to date"."""

from __future__ import annotations

from django.urls import reverse

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import get_importer
from partners.models import Partner


def export_partners(client) -> bytes:
    url = reverse("admin:partners_partner_export")
    form = client.get(url).context["form"]
    data = {"format": "0", "resource": "0"}
    data |= {
        n: "on" for n, f in form.fields.items() if f.widget.input_type == "checkbox"
    }
    response = client.post(url, data)
    assert response.status_code == 200
    return response.content


def partners_import(content: bytes, **options):
    return run_import(
        get_importer("partners"),
        content,
        filename="partners.csv",
        options=ImportOptions(**options),
    )


def test_the_partners_export_imports_back_by_its_id_and_name_columns(
    admin_client, world
):
    exported = export_partners(admin_client)
    assert exported.decode("utf-8-sig").startswith("id,name,")

    again = partners_import(exported, dry_run=True)

    assert (again.columns["partner_id"], again.columns["partner"]) == ("id", "name")
    assert again.counts["unchanged"] == Partner.objects.count() == 5, [
        r.message for r in again.rows
    ]

    # Matched by its id, whatever the name column says.
    acme = world["acme"]
    edited = exported.decode().replace(
        f"{acme.pk},Acme Telecom,,,ACME,private_sector,",
        f"{acme.pk},Acme Telecom AG,,,ACME,private_sector,",
    )
    edited = edited.replace(",,,2,,,1,", ",https://acme.example,,2,,,1,", 1)
    result = partners_import(edited.encode())

    assert result.written
    assert result.counts["update"] == 1, [r.message for r in result.rows]
    acme.refresh_from_db()
    assert acme.website == "https://acme.example"
    assert Partner.objects.count() == 5
