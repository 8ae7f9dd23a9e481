"""The starter rule pack: telecom-fraud patterns seen in Chinese retail banking.

Scores add up against the thresholds (review 40, hold 70, block 100): one pattern alone asks
for review or a hold, two together for a block. The model rule runs in shadow until a trained
model is wired in.
"""

from __future__ import annotations

from finguard.guard.model.decision import Outcome
from finguard.guard.model.events import EventType
from finguard.guard.model.rules import Rule, RuleMode

_PAY = (EventType.TRANSFER, EventType.REMITTANCE)

STARTER_PACK: tuple[Rule, ...] = (
    Rule(
        "tf.new_payee_large_night",
        "event.outgoing and payee.is_first and event.amount >= 20000 and (event.local_hour >= 22 or event.local_hour < 6)",
        "first transfer of a large amount to a new payee at night",
        score=70,
        event_types=_PAY,
    ),
    Rule(
        "tf.fan_out_after_large_in",
        "event.outgoing and vel.account_in_sum_24h >= 50000 and vel.account_out_count_1h >= 5 and event.amount < 5000",
        "many small transfers out soon after a large one came in",
        score=60,
        event_types=_PAY,
    ),
    Rule(
        "tf.after_new_device",
        "event.outgoing and vel.customer_bindings_1h >= 1 and event.amount >= 5000",
        "a transfer within an hour of binding a new device",
        score=50,
        event_types=_PAY,
    ),
    Rule(
        "tf.payee_listed",
        "payee.check in ['warn', 'block']",
        "the payee is on a risk list",
        score=40,
        event_types=_PAY,
    ),
    Rule(
        "tf.payee_many_senders",
        "vel.payee_senders_24h >= 5",
        "the payee received money from five or more customers in 24 hours (a collecting mule account)",
        score=50,
        event_types=_PAY,
    ),
    Rule(
        "tf.device_shared",
        "vel.device_customers_24h >= 3",
        "the device was used by three or more customers in 24 hours",
        score=40,
    ),
    Rule(
        "tf.remittance_new_payee",
        "payee.is_first and event.amount >= 50000",
        "a large first remittance to a new payee abroad",
        score=50,
        event_types=(EventType.REMITTANCE,),
    ),
    Rule(
        "tf.card_burst",
        "vel.card_auth_count_10m >= 5",
        "five or more card authorisations in ten minutes",
        score=40,
        event_types=(EventType.CARD_AUTH,),
    ),
    Rule(
        "tf.model_high",
        "model.score is not None and model.score >= 0.9",
        "the fraud model scores the event as very likely fraud",
        score=60,
        outcome=Outcome.REVIEW,
        mode=RuleMode.SHADOW,
    ),
)
