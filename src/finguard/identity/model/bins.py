"""The BIN (issuer identification number) table for bank cards.

Scheme ranges follow the card networks' published IIN ranges (ISO/IEC 7812-1 first digits):
UnionPay 62 (16-19 digits), Visa 4, Mastercard 51-55 and 2221-2720, American Express 34 and 37,
JCB 3528-3589, Discover 6011, 644-649 and 65.  Six-digit entries name a few Chinese issuers'
long-published debit BINs; they are examples to show the shape of the table, not a complete
list: a bank replaces this table with its own licensed BIN file.  The longest matching prefix wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BinEntry:
    low: str
    high: str
    scheme: str
    issuer: str
    card_type: str
    lengths: tuple[int, ...] = ()


_UNIONPAY = tuple(range(16, 20))

TABLE: tuple[BinEntry, ...] = (
    BinEntry("622202", "622202", "UnionPay", "中国工商银行 ICBC", "debit", _UNIONPAY),
    BinEntry("622848", "622848", "UnionPay", "中国农业银行 ABC", "debit", _UNIONPAY),
    BinEntry("621700", "621700", "UnionPay", "中国建设银行 CCB", "debit", _UNIONPAY),
    BinEntry("622588", "622588", "UnionPay", "招商银行 CMB", "debit", _UNIONPAY),
    BinEntry("62", "62", "UnionPay", "", "", _UNIONPAY),
    BinEntry("4", "4", "Visa", "", "", (13, 16, 19)),
    BinEntry("51", "55", "Mastercard", "", "", (16,)),
    BinEntry("2221", "2720", "Mastercard", "", "", (16,)),
    BinEntry("34", "34", "American Express", "", "", (15,)),
    BinEntry("37", "37", "American Express", "", "", (15,)),
    BinEntry("3528", "3589", "JCB", "", "", (16, 17, 18, 19)),
    BinEntry("6011", "6011", "Discover", "", "", (16, 17, 18, 19)),
    BinEntry("644", "649", "Discover", "", "", (16, 17, 18, 19)),
    BinEntry("65", "65", "Discover", "", "", (16, 17, 18, 19)),
)


def lookup_bin(number: str) -> BinEntry | None:
    """The most specific entry whose range holds the number's prefix, or None."""
    best: BinEntry | None = None
    for e in TABLE:
        head = number[: len(e.low)]
        if len(head) == len(e.low) and e.low <= head <= e.high and (best is None or len(e.low) > len(best.low)):
            best = e
    return best
