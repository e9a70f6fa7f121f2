"""The HSS stand-in over HTTP: the subscriber calls the plays make, validated, with the state they leave."""

import httpx

from omnibus.provisioning.hss import HssStandIn

KI = "0123456789abcdef0123456789abcdef"


def test_a_subscriber_is_created_made_dormant_and_deleted() -> None:
    hss = HssStandIn().start()
    try:
        base = f"http://{hss.address}/subscriber"
        body = {"imsi": "001010000000001", "msisdn": "61400000001", "ki": KI, "opc": KI, "enabled": True}
        created = httpx.put(f"{base}/001010000000001", json=body).json()
        again = httpx.put(f"{base}/001010000000001", json=body).json()  # replaced, same id
        dormant = httpx.patch(
            f"{base}/{created['subscriber_id']}", json={"msisdn": "99990000000001", "ue_ambr_dl": 9999999}
        ).json()
        found = httpx.get(f"{base}/imsi/001010000000001").json()
        deleted = httpx.delete(f"{base}/{created['subscriber_id']}")
        gone = httpx.get(f"{base}/{created['subscriber_id']}")
    finally:
        hss.stop()

    assert again["subscriber_id"] == created["subscriber_id"]
    assert (dormant["msisdn"], dormant["ue_ambr_dl"], found["msisdn"]) == ("99990000000001", 9999999, "99990000000001")
    assert "ki" not in found and "opc" not in found
    assert (deleted.status_code, gone.status_code) == (200, 404)


def test_bad_bodies_are_400_with_the_reason_and_change_nothing() -> None:
    hss = HssStandIn().start()
    try:
        base = f"http://{hss.address}/subscriber"
        good = {"imsi": "001010000000002", "msisdn": "61400000002", "ki": KI, "enabled": True}
        answers = [
            httpx.put(f"{base}/001010000000002", json={**good, "imsi": "001010000000003"}),
            httpx.put(f"{base}/001010000000002", json={**good, "ki": "short"}),
            httpx.put(f"{base}/001010000000002", json={**good, "enabled": "yes"}),
            httpx.put(f"{base}/001010000000002", json={**good, "colour": "red"}),
            httpx.put(f"{base}/001010000000002", content=b"not json"),
            httpx.patch(f"{base}/1", json={"enabled": False}),
        ]
        nothing = httpx.get(f"{base}/imsi/001010000000002")
    finally:
        hss.stop()

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 400, 404]
    assert "unknown fields: colour" in answers[3].json()["reason"]
    assert nothing.status_code == 404
