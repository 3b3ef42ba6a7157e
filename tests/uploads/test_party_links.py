"""Tenancy in uploads (docs/security.md#tenancy): a placement row names only a municipality
linked to the uploading agency; the rule is gateway.tenancy's, as on every channel."""

from __future__ import annotations

from tests.uploads.conftest import UploadGatewayFactory
from tests.uploads.test_rejections import HEADER, P, row


async def test_an_agency_upload_names_only_linked_municipalities(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    # flexwerk-uitzend (12345678) works for 0363 and 0599, not for 0518.
    lines = [
        row(**P, BSN="111222333", Plaatsingsnummer="A-1", Gemeente="0363"),
        row(**P, BSN="123456782", Plaatsingsnummer="A-2", Gemeente="0518"),
    ]
    content = ("\r\n".join([HEADER, *lines]) + "\r\n").encode("cp1252")
    async with make_upload_gateway() as gw:
        status = await gw.upload_settled(content, content_type="text/csv")
        report = (await gw.get(f"/v1/uploads/{status['upload_id']}/errors")).json()

    assert status["status"] == "rejected", status  # this profile takes a file whole or not
    assert [(e["line"], e["code"], e["value"]) for e in report["errors"]] == [
        (3, "party_not_linked", "0518")
    ]
    assert "does not work with this agency" in report["errors"][0]["message_en"]
