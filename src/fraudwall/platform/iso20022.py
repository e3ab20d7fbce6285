"""ISO 20022 `pacs.008` credit transfers (FI to FI customer credit transfer) as transfers.

Banks' payment systems already send these; `read_pacs008` maps each credit transfer
transaction (``CdtTrfTxInf``) of a message to a `model.Transfer`:

- `event_id`: the interbank ``PmtId/TxId``, else ``PmtId/UETR``, else ``PmtId/EndToEndId``
  (unless it is ``NOTPROVIDED``): the first id the message makes unique;
- `amount_fen`: ``IntrBkSttlmAmt`` in CNY, decimal yuan turned into whole fen exactly
  (`decimal.Decimal`, never a float): another currency, or a part of a fen, is refused;
- `ts`: the transaction's ``AccptncDtTm``, else the message's ``GrpHdr/CreDtTm``; a time
  without a zone is China's (UTC+8);
- `from_account` / `to_account`: ``DbtrAcct/Id`` and ``CdtrAcct/Id``, as ``IBAN`` or
  ``Othr/Id``;
- `institution_id`: the instructing agent (``InstgAgt``, of the transaction or of the
  message), else the debtor's agent (``DbtrAgt``): its ``FinInstnId`` as
  ``ClrSysMmbId/MmbId``, ``Othr/Id``, ``BICFI`` or ``LEI`` (the first given), which must be
  the caller's institution (checked by the caller);
- `channel`: not in the message: the caller says (default online banking);
- `memo`: ``RmtInf/Ustrd``, the lines joined.

Versions pacs.008.001.02 to .13 share these elements. Every wrong element is named by an
XPath-like path (``CdtTrfTxInf[2]/IntrBkSttlmAmt: "12.345" has more than 2 decimals``).
DTDs and entities are refused, never resolved, and nothing is fetched from the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Final

from lxml import etree

from fraudwall.errors import InputError
from fraudwall.model import LOCAL_OFFSET_MS, Channel, RecordError, Transfer, validate_record

NAMESPACE: Final = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:pacs\.008\.001\.(0[2-9]|1[0-3])$")
CONTENT_TYPES: Final = ("application/xml", "text/xml")
_AMOUNT: Final = re.compile(r"^[0-9]{1,18}(\.[0-9]+)?$")
_CHINA: Final = timezone(timedelta(milliseconds=LOCAL_OFFSET_MS))
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_FEN: Final = 2**62


class MessageError(InputError):
    """A message with wrong elements: each named by its path, with its problem."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        where, problem = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(where, problem + more)


@dataclass
class Pacs008:
    """A message read: its transfers, each with the path of its transaction and of the
    element that named its institution."""

    message_id: str
    version: str
    transfers: list[tuple[str, Transfer, str]] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_pacs008(
    body: bytes, channel: Channel = Channel.ONLINE, max_transactions: int = 10_000
) -> Pacs008:
    """The transfers of a pacs.008 message (see the module doc); `MessageError` names
    every wrong element."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise InputError("DOCTYPE", "DTDs and entities are refused: send the message alone")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise InputError("body", f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InputError("DOCTYPE", "DTDs and entities are refused: send the message alone")
    ns = etree.QName(root).namespace or ""
    match = NAMESPACE.match(ns)
    if etree.QName(root).localname != "Document" or match is None:
        raise InputError(
            "Document",
            f"not a pacs.008 message (root {etree.QName(root).localname!r} in namespace "
            f"{ns or 'none'!r})",
            hint="the namespace is urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08 (or .02-.13)",
        )
    reader = _Reader(ns)
    msg = reader.one(root, "FIToFICstmrCdtTrf")
    if msg is None:
        raise MessageError([("FIToFICstmrCdtTrf", "missing")])
    header = reader.one(msg, "GrpHdr")
    errors: list[tuple[str, str]] = []
    if header is None:
        raise MessageError([("GrpHdr", "missing")])
    message_id = reader.text(header, "MsgId") or ""
    created = reader.text(header, "CreDtTm")
    default_ts: int | None = None
    if created is not None:
        try:
            default_ts = _ms(created)
        except ValueError as exc:
            errors.append(("GrpHdr/CreDtTm", str(exc)))
    header_agent = reader.agent(header, "InstgAgt")
    transactions = reader.all(msg, "CdtTrfTxInf")
    if not transactions:
        errors.append(("CdtTrfTxInf", "missing: the message holds no transaction"))
    if len(transactions) > max_transactions:
        raise InputError(
            "CdtTrfTxInf", f"{len(transactions)} transactions: at most {max_transactions}"
        )
    count = reader.text(header, "NbOfTxs")
    if count is not None and count != str(len(transactions)):
        errors.append(("GrpHdr/NbOfTxs", f"says {count}, the message holds {len(transactions)}"))
    out = Pacs008(message_id, f"pacs.008.001.{match.group(1)}")
    for k, tx in enumerate(transactions, 1):
        path = f"CdtTrfTxInf[{k}]"
        where: dict[str, str] = {}
        transfer = _transfer(reader, tx, path, default_ts, header_agent, channel, errors, where)
        if transfer is not None:
            out.transfers.append((path, transfer, where["institution_id"]))
    if errors:
        raise MessageError(errors)
    return out


class _Reader:
    """Child elements and their text, in the message's namespace."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def _q(self, step: str) -> str:
        return "/".join(f"{{{self.ns}}}{s}" for s in step.split("/"))

    def one(self, el: etree._Element, step: str) -> etree._Element | None:
        return el.find(self._q(step))

    def all(self, el: etree._Element, step: str) -> list[etree._Element]:
        return el.findall(self._q(step))

    def text(self, el: etree._Element, step: str) -> str | None:
        found = self.one(el, step)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def agent(self, el: etree._Element, step: str) -> tuple[str, str] | None:
        """An agent's institution id and the path it was read from (relative to `el`)."""
        for sub in ("ClrSysMmbId/MmbId", "Othr/Id", "BICFI", "LEI"):
            value = self.text(el, f"{step}/FinInstnId/{sub}")
            if value is not None:
                return value, f"{step}/FinInstnId/{sub}"
        return None

    def account(self, el: etree._Element, step: str) -> tuple[str, str] | None:
        for sub in ("IBAN", "Othr/Id"):
            value = self.text(el, f"{step}/Id/{sub}")
            if value is not None:
                return value, f"{step}/Id/{sub}"
        return None


def _transfer(
    reader: _Reader,
    tx: etree._Element,
    path: str,
    default_ts: int | None,
    header_agent: tuple[str, str] | None,
    channel: Channel,
    errors: list[tuple[str, str]],
    where: dict[str, str],
) -> Transfer | None:
    before = len(errors)
    fields: dict[str, object] = {"channel": channel.value}

    ident = None
    for sub in ("PmtId/TxId", "PmtId/UETR", "PmtId/EndToEndId"):
        value = reader.text(tx, sub)
        if value is not None and value.upper() != "NOTPROVIDED":
            ident, where["event_id"] = value, f"{path}/{sub}"
            break
    if ident is None:
        errors.append((f"{path}/PmtId", "no TxId, UETR or EndToEndId to name the transfer by"))
    fields["event_id"] = ident

    amount_path = f"{path}/IntrBkSttlmAmt"
    where["amount_fen"] = amount_path
    amount = reader.one(tx, "IntrBkSttlmAmt")
    if amount is None or not (amount.text or "").strip():
        errors.append((amount_path, "missing"))
    else:
        currency = amount.get("Ccy")
        text = (amount.text or "").strip()
        if currency is None:
            errors.append((f"{amount_path}/@Ccy", "missing: the currency of the amount"))
        elif currency != "CNY":
            errors.append((f"{amount_path}/@Ccy", f"{currency!r}: only CNY is taken (fen)"))
        else:
            try:
                fields["amount_fen"] = _fen(text)
            except ValueError as exc:
                errors.append((amount_path, str(exc)))

    ts_text = reader.text(tx, "AccptncDtTm")
    if ts_text is not None:
        where["ts"] = f"{path}/AccptncDtTm"
        try:
            fields["ts"] = _ms(ts_text)
        except ValueError as exc:
            errors.append((where["ts"], str(exc)))
    elif default_ts is not None:
        fields["ts"], where["ts"] = default_ts, "GrpHdr/CreDtTm"
    else:
        errors.append((f"{path}/AccptncDtTm", "missing, and so is GrpHdr/CreDtTm: no time"))

    for name, step in (("from_account", "DbtrAcct"), ("to_account", "CdtrAcct")):
        found = reader.account(tx, step)
        if found is None:
            errors.append((f"{path}/{step}", "missing the account's Id (IBAN or Othr/Id)"))
        else:
            fields[name], where[name] = found[0], f"{path}/{found[1]}"

    agent = reader.agent(tx, "InstgAgt")
    agent_path = f"{path}/{agent[1]}" if agent else ""
    if agent is None and header_agent is not None:
        agent, agent_path = header_agent, f"GrpHdr/{header_agent[1]}"
    if agent is None:
        agent = reader.agent(tx, "DbtrAgt")
        agent_path = f"{path}/{agent[1]}" if agent else ""
    if agent is None:
        errors.append((f"{path}/DbtrAgt", "missing: the debtor's agent names the bank"))
    else:
        fields["institution_id"], where["institution_id"] = agent[0], agent_path

    memo = [m.text.strip() for m in reader.all(tx, "RmtInf/Ustrd") if m.text and m.text.strip()]
    if memo:
        fields["memo"], where["memo"] = " ".join(memo), f"{path}/RmtInf/Ustrd"

    if len(errors) > before:
        return None
    try:
        return validate_record(Transfer, fields)
    except RecordError as exc:
        errors.append((where.get(exc.field, f"{path}/{exc.field}"), exc.problem))
        return None


def _fen(text: str) -> int:
    """Decimal yuan as whole fen, exactly."""
    if not _AMOUNT.match(text):
        raise ValueError(f"{text!r} is not an amount (digits, a point, at most 2 decimals)")
    try:
        fen = Decimal(text) * 100
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if fen != fen.to_integral_value():
        raise ValueError(f'"{text}" has more than 2 decimals (a part of a fen)')
    value = int(fen)
    if value <= 0:
        raise ValueError(f"{text!r}: must be more than 0")
    if value > _MAX_FEN:
        raise ValueError(f"{text!r} is larger than any amount fraudwall takes")
    return value


def _ms(text: str) -> int:
    """An ISO 8601 date-time as ms since the epoch (no zone: China's time)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_CHINA)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


__all__ = ["CONTENT_TYPES", "NAMESPACE", "MessageError", "Pacs008", "read_pacs008"]
