"""What a decided payment writes to the fund-flow ledger (#5).

A decided event becomes a ledger transfer (source ``guard``, ``external_id`` = the event id) when
all of these hold; otherwise it writes nothing:

* its outcome lets the money move (:attr:`Outcome.moves_money`: ``allow`` and ``review``; a
  ``hold`` or ``block`` stops it, and the guard has no action that releases a held payment later);
* it moves the customer's money out (:attr:`Event.is_outgoing`: a transfer or remittance out, a
  card authorisation). An incoming transfer is not written: the same payment can reach the guard
  from both sides (the payer's transfer out and the payee's transfer in, under two event ids), and
  nothing in an event links the two, so writing both would count the money twice;
* it names the customer's ``account`` and a payee ``account`` (a card authorisation: the payee's
  account, else the merchant, as ``merchant:<id>``). A payee given by card only has no account the
  money can be followed into;
* the amount is above zero, the two accounts differ (self-transfers are not stored, as in
  imports) and the accounts fit the ledger's 128 characters.

Remittance payees are ``external`` accounts (the money left for another country's bank), merchants
``merchant``; both end a trace. Domestic payees are ``customer`` accounts, so a trace follows the
money onward when the payee's own payments are in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from finguard.guard.model.decision import Decision
from finguard.guard.model.events import Event, EventType
from finguard.ledger.model import MAX_ACCOUNT, MAX_FEN, AccountDraft, AccountKind, TransferDraft, exponent

SOURCE = "guard"


@dataclass(frozen=True, slots=True)
class LedgerPayment:
    """A decided payment as the ledger stores it: the transfer and what it says about its accounts."""

    transfer: TransferDraft
    accounts: tuple[AccountDraft, ...]


def ledger_payment(event: Event, decision: Decision) -> LedgerPayment | None:
    """The transfer a decided event writes to the ledger, or None (see the module's rules)."""
    if not decision.outcome.moves_money or not event.is_outgoing or event.account is None or event.amount is None:
        return None
    payee, merchant = event.payee, event.merchant
    if payee is not None and payee.account:
        dst = payee.account
        kind = AccountKind.EXTERNAL if event.type is EventType.REMITTANCE else AccountKind.CUSTOMER
        name, bank = payee.name, payee.bank
    elif event.type is EventType.CARD_AUTH and merchant is not None and merchant.id:
        dst, kind, name, bank = f"merchant:{merchant.id}", AccountKind.MERCHANT, merchant.name, None
    else:
        return None
    fen = int(event.amount.scaleb(exponent(event.currency)))
    if not 0 < fen <= MAX_FEN or dst == event.account or len(dst) > MAX_ACCOUNT:
        return None
    draft = TransferDraft(
        external_id=event.event_id,
        src_account=event.account,
        dst_account=dst,
        amount_fen=fen,
        currency=event.currency,
        at=event.occurred_at,
        channel=event.channel,
        memo=f"guard {decision.outcome.value}: {event.type.value}, decision {decision.decision_id}",
        dst_name=name,
        dst_bank=bank,
    )
    return LedgerPayment(draft, (AccountDraft(event.account), AccountDraft(dst, kind, name, bank)))
