"""FTS corrections follow the rules of ``pledge_reduce``, as the admin does.

A pledge no longer committed (fulfilled in kind, nothing received) cannot be
cancelled in full, whether the user takes the whole amount off on the
pledge's Reduce page or an FTS file brings a negative flow of it all.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from pledges.models import Pledge, PledgeReduction
from tests.imports.conftest import do_import
from tests.imports.test_fts_refunds import fts, pledge, sample


def fulfilled_in_kind() -> Pledge:
    """FTS flow 401003, fulfilled in kind with nothing received."""
    flow = {**sample()["401003"], "status": "pledge", "contributionType": "in kind"}
    first = do_import("fts", fts(flow), filename="fts.csv")
    assert first.written, [r.message for r in first.rows]
    Pledge.objects.filter(pk=pledge("401003").pk).update(stage="fulfilled")
    return pledge("401003")


def cancellation() -> str:
    return fts(
        {
            **sample()["401004"],
            "status": "pledge",
            "contributionType": "in kind",
            "originalAmount": "-300000",
            "originalFlowId": "401003",
        }
    )


def assert_untouched(before: Pledge) -> None:
    after = Pledge.objects.get(pk=before.pk)
    assert (after.stage, after.amount) == ("fulfilled", Decimal("300000.00"))
    assert not PledgeReduction.objects.exists()


def test_the_admin_refuses_to_cancel_a_fulfilled_pledge_in_full(admin_client, world):
    luxembourg = fulfilled_in_kind()

    page = admin_client.post(
        reverse("admin:pledges_pledge_reduce", args=[luxembourg.pk]),
        {"amount": "300000.00", "on": "2024-10-01", "reason": "Cancelled"},
    )

    assert page.status_code == 200
    errors = page.context["form"].non_field_errors()
    assert any("is fulfilled; only open pledges" in e for e in errors), errors
    assert_untouched(luxembourg)


def test_fts_refuses_to_cancel_a_fulfilled_pledge_in_full(world):
    luxembourg = fulfilled_in_kind()

    result = do_import("fts", cancellation(), filename="fts.csv")

    assert not result.written
    assert result.rows[0].message == (
        "Row 2: column originalAmount, value '-300000': this cancels the pledge "
        "of flow 401003, which is fulfilled."
    )
    assert_untouched(luxembourg)


def test_fts_withdraws_a_pledge_cancelled_in_full_as_the_admin_does(
    admin_client, world
):
    flow = {**sample()["401003"], "status": "pledge"}
    assert do_import("fts", fts(flow), filename="fts.csv").written
    by_fts = pledge("401003")
    by_admin = Pledge.objects.create(
        partner=by_fts.partner,
        lever=by_fts.lever,
        title="Same pledge, typed in",
        stage=by_fts.stage,
        amount=by_fts.amount,
        currency=by_fts.currency,
        pledged_on=by_fts.pledged_on,
    )

    admin_client.post(
        reverse("admin:pledges_pledge_reduce", args=[by_admin.pk]),
        {"amount": "300000.00", "on": "2024-10-01", "reason": "Cancelled"},
    )
    result = do_import(
        "fts",
        fts({**sample()["401004"], "status": "pledge", "originalAmount": "-300000"}),
        filename="fts.csv",
    )

    assert result.written, [r.message for r in result.rows]
    by_fts.refresh_from_db()
    by_admin.refresh_from_db()
    assert by_fts.stage == by_admin.stage == "withdrawn"
    assert by_fts.amount == by_admin.amount == Decimal("300000.00")
    withdrawals = PledgeReduction.objects.filter(withdraws=True)
    assert {r.pledge_id for r in withdrawals} == {by_fts.pk, by_admin.pk}
