"""ISO 20022 pacs.008 credit transfers: mapped to transfers exactly, each wrong element
named by its path, DTDs and entities refused, and checked like any transfer."""

from __future__ import annotations

import pytest
from event_records import T0
from service_api import Api

from fraudwall.errors import InputError
from fraudwall.model import Channel
from fraudwall.platform.iso20022 import MessageError, read_pacs008

NS = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"


def tx(
    tx_id: str = "TX1",
    amount: str = "1234.56",
    currency: str = "CNY",
    debtor: str = "<Othr><Id>A1</Id></Othr>",
    creditor: str = "<IBAN>B1</IBAN>",
    agent: str = "<ClrSysMmbId><MmbId>B01</MmbId></ClrSysMmbId>",
    accepted: str = "",
    memo: str = "货款",
) -> str:
    return f"""
    <CdtTrfTxInf>
      <PmtId><InstrId>I-{tx_id}</InstrId><EndToEndId>E2E-{tx_id}</EndToEndId>
             <TxId>{tx_id}</TxId></PmtId>
      <IntrBkSttlmAmt Ccy="{currency}">{amount}</IntrBkSttlmAmt>
      {accepted}
      <ChrgBr>SLEV</ChrgBr>
      <Dbtr><Nm>张三</Nm></Dbtr>
      <DbtrAcct><Id>{debtor}</Id></DbtrAcct>
      <DbtrAgt><FinInstnId>{agent}</FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>BKCHCNBJ</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>李四</Nm></Cdtr>
      <CdtrAcct><Id>{creditor}</Id></CdtrAcct>
      <RmtInf><Ustrd>{memo}</Ustrd></RmtInf>
    </CdtTrfTxInf>"""


def message(*transactions: str, ns: str = NS, created: str = "2026-05-29T04:26:40+08:00",
            count: int | None = None) -> bytes:  # fmt: skip
    n = len(transactions) if count is None else count
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}">
  <FIToFICstmrCdtTrf>
    <GrpHdr><MsgId>M-1</MsgId><CreDtTm>{created}</CreDtTm><NbOfTxs>{n}</NbOfTxs>
      <SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>
    {"".join(transactions)}
  </FIToFICstmrCdtTrf>
</Document>""".encode()


def test_a_message_maps_to_transfers_exactly() -> None:
    read = read_pacs008(
        message(
            tx("TX1"),
            tx("TX2", amount="0.1", accepted="<AccptncDtTm>2026-05-28T20:26:41Z</AccptncDtTm>"),
        ),
        Channel.MOBILE,
    )
    assert (read.message_id, read.version) == ("M-1", "pacs.008.001.08")
    (p1, t1, agent1), (p2, t2, _) = read.transfers
    assert (p1, p2, agent1) == (
        "CdtTrfTxInf[1]", "CdtTrfTxInf[2]", "CdtTrfTxInf[1]/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId",
    )  # fmt: skip
    assert (t1.event_id, t1.amount_fen, t1.ts) == ("TX1", 123_456, T0)
    assert (t1.from_account, t1.to_account, t1.institution_id) == ("A1", "B1", "B01")
    assert (t1.channel, t1.memo) == (Channel.MOBILE, "货款")
    assert (t2.amount_fen, t2.ts) == (10, T0 + 1000)


@pytest.mark.parametrize("version", ["02", "08", "10", "13"])
def test_neighbouring_versions_are_read(version: str) -> None:
    read = read_pacs008(message(tx(), ns=NS.replace(".08", f".{version}")))
    assert read.version == f"pacs.008.001.{version}"


def test_a_time_without_a_zone_is_china_time_and_ids_fall_back() -> None:
    body = message(tx(), created="2026-05-29T04:26:40").replace(b"<TxId>TX1</TxId>", b"")
    (_, transfer, _), = read_pacs008(body).transfers  # fmt: skip
    assert (transfer.ts, transfer.event_id) == (T0, "E2E-TX1")


@pytest.mark.parametrize(
    ("xml", "where", "problem"),
    [
        (tx(amount="12.345"), "CdtTrfTxInf[2]/IntrBkSttlmAmt",
         '"12.345" has more than 2 decimals'),
        (tx(amount="1e3"), "CdtTrfTxInf[2]/IntrBkSttlmAmt", "is not an amount"),
        (tx(amount="0.00"), "CdtTrfTxInf[2]/IntrBkSttlmAmt", "must be more than 0"),
        (tx(currency="USD"), "CdtTrfTxInf[2]/IntrBkSttlmAmt/@Ccy", "only CNY"),
        (tx(debtor=""), "CdtTrfTxInf[2]/DbtrAcct", "missing the account's Id"),
        (tx(agent=""), "CdtTrfTxInf[2]/DbtrAgt", "missing"),
        (tx(accepted="<AccptncDtTm>yesterday</AccptncDtTm>"), "CdtTrfTxInf[2]/AccptncDtTm",
         "not an ISO 8601 date-time"),
        (tx(creditor="<IBAN>" + "9" * 200 + "</IBAN>"), "CdtTrfTxInf[2]/CdtrAcct/Id/IBAN",
         "length must be <= 128"),
    ],
)  # fmt: skip
def test_each_wrong_element_is_named_by_its_path(xml: str, where: str, problem: str) -> None:
    with pytest.raises(MessageError) as err:
        read_pacs008(message(tx("OK"), xml))
    assert err.value.where == where
    assert problem in err.value.problem


def test_every_wrong_element_is_listed() -> None:
    with pytest.raises(MessageError) as err:
        read_pacs008(message(tx("A", amount="1.001"), tx("B", currency="EUR"), count=3))
    assert [w for w, _ in err.value.errors] == [
        "GrpHdr/NbOfTxs", "CdtTrfTxInf[1]/IntrBkSttlmAmt", "CdtTrfTxInf[2]/IntrBkSttlmAmt/@Ccy",
    ]  # fmt: skip


def test_what_is_not_a_pacs008_message_is_refused() -> None:
    with pytest.raises(InputError, match="not well-formed XML"):
        read_pacs008(b"<Document><unclosed></Document>")
    with pytest.raises(InputError) as err:
        read_pacs008(message(tx(), ns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"))
    assert err.value.where == "Document"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>
<GrpHdr><MsgId>&secret;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">&lol2;</Document>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS, XXE.decode().encode("utf-16")])
def test_dtds_and_entities_are_refused(body: bytes) -> None:
    with pytest.raises(InputError) as err:
        read_pacs008(body)
    assert err.value.where in ("DOCTYPE", "body")
    assert "root:" not in err.value.problem  # nothing of the file came back


def test_a_message_is_checked_over_the_api(service_api: Api) -> None:
    api = service_api
    headers = {**api.as_("bank_a"), "Content-Type": "application/xml"}
    body = message(tx("P1"), tx("P2", amount="88.00"))
    r = api.client.post("/v1/check/pacs008?channel=online", content=body, headers=headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [t["event_id"] for t in out["transactions"]] == ["P1", "P2"]
    assert all(
        t["decision"]["kind"] == "transfer" and t["error"] is None for t in out["transactions"]
    )
    event = api.client.get("/v1/events/P2", headers=api.as_("bank_a")).json()
    assert (event["status"], event["record"]["amount_fen"], event["record"]["channel"]) == (
        "checked", 8800, "online",
    )  # fmt: skip
    again = api.client.post("/v1/check/pacs008", content=body, headers=headers).json()
    assert again["transactions"] == out["transactions"]  # repeats: the first decisions


def test_the_api_refuses_what_is_wrong(service_api: Api) -> None:
    api = service_api
    xml = {"Content-Type": "application/xml"}
    wrong = api.client.post("/v1/check/pacs008", content=message(tx(amount="1.234")),
                            headers={**api.as_("bank_a"), **xml})  # fmt: skip
    assert wrong.status_code == 422
    assert wrong.json()["error"]["where"] == "CdtTrfTxInf[1]/IntrBkSttlmAmt"
    assert wrong.json()["errors"][0]["problem"].startswith('"1.234" has more than 2 decimals')
    other = api.client.post("/v1/check/pacs008", content=message(tx()),
                            headers={**api.as_("bank_b"), **xml})  # fmt: skip
    assert other.status_code == 422
    assert other.json()["error"]["where"] == "CdtTrfTxInf[1]/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId"
    xxe = api.client.post("/v1/check/pacs008", content=XXE, headers={**api.as_("bank_a"), **xml})
    assert xxe.status_code == 422 and xxe.json()["error"]["where"] == "DOCTYPE"
    as_json = {**api.as_("bank_a"), "Content-Type": "application/json"}
    json_body = api.client.post("/v1/check/pacs008", content=b"{}", headers=as_json)
    assert json_body.status_code == 422 and json_body.json()["error"]["where"] == "Content-Type"
    for caller in ("telco_a", "analyst", "public"):
        r = api.client.post("/v1/check/pacs008", content=message(tx()),
                            headers={**api.as_(caller), **xml})  # fmt: skip
        assert r.status_code == 403 and "needs the role institution or admin" in r.text
