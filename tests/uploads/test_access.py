"""Issue 4, acceptance 6: an agency cannot read another agency's upload or report (403);
only agencies upload; operators may read every upload."""

from __future__ import annotations

from tests.uploads.conftest import SAMPLES, UploadGatewayFactory


async def test_agencies_see_only_their_own_uploads(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    async with make_upload_gateway() as gw:
        mine = await gw.upload_settled((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        upload_id = mine["upload_id"]
        paths = [
            f"/v1/uploads/{upload_id}",
            f"/v1/uploads/{upload_id}/errors",
            f"/v1/uploads/{upload_id}/errors?format=csv",
        ]
        other = [await gw.get(p, as_client="andere-uitzend") for p in paths]
        municipality = [await gw.get(p, as_client="gemeente-amsterdam") for p in paths]
        ops = [await gw.get(p, as_client="ops-viewer") for p in paths]
        owner = [await gw.get(p, as_client="flexwerk-uitzend") for p in paths]
        anonymous = await gw.client.get(paths[0])
        missing = await gw.get("/v1/uploads/00000000-0000-0000-0000-000000000000")
        municipality_upload = await gw.upload(b"a;b\n", as_client="gemeente-amsterdam")
        ops_upload = await gw.upload(b"a;b\n", as_client="ops-admin")

    assert [r.status_code for r in other] == [403, 403, 403]
    assert all(r.headers["content-type"] == "application/problem+json" for r in other)
    assert all(r.json()["code"] == "forbidden" for r in other)
    assert all("Café" not in r.text and "counts" not in r.text for r in other)
    assert [r.status_code for r in municipality] == [403, 403, 403]
    assert [r.status_code for r in ops] == [200, 200, 200]
    assert [r.status_code for r in owner] == [200, 200, 200]
    assert anonymous.status_code == 401
    assert missing.status_code == 404
    assert municipality_upload.status_code == 403
    assert ops_upload.status_code == 403


async def test_the_same_file_from_another_agency_is_its_own_upload(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    # Content hashes count per agency: another agency's identical bytes are not a repeat.
    body = (SAMPLES / "uurwerk-flex.csv").read_bytes()
    async with make_upload_gateway() as gw:
        first = await gw.upload(body, as_client="andere-uitzend")
        second = await gw.upload(body, as_client="flexwerk-uitzend")
    assert first.status_code == second.status_code == 202
    assert first.json()["upload_id"] != second.json()["upload_id"]
    assert second.json()["repeated"] is False
