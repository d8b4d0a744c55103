"""Double-entry ledger: balanced, append-only journal entries; balances are derived.

Accounts:

* ``learner_funds`` (asset, debit-normal): money collected from learners and
  held at the processor;
* ``platform_revenue`` (revenue, credit-normal): the platform fee (15% default);
* ``instructor_payable:<instructor_id>`` (liability, credit-normal): what the
  platform owes each instructor.

A capture debits learner funds and credits revenue and payables. A refund
debits those accounts in proportion to what each still holds for the payment
(:func:`allocate_refund`), so rounding never drives an account below zero and a
full refund reverses the capture to the last minor unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from apps_api.db import new_id
from apps_api.models import JournalEntry, JournalLine

LEARNER_FUNDS = "learner_funds"
PLATFORM_REVENUE = "platform_revenue"
PAYABLE_PREFIX = "instructor_payable:"


class UnbalancedEntryError(ValueError):
    """A journal entry whose debits and credits differ (a programming error)."""


def normal_side(account: str) -> str:
    return "debit" if account == LEARNER_FUNDS else "credit"


@dataclass(frozen=True)
class Line:
    account: str
    debit_minor: int = 0
    credit_minor: int = 0


def post_entry(session: Session, *, kind: str, currency: str, lines: list[Line], payment_id: str | None,
               refund_id: str | None = None, memo: str = "") -> JournalEntry:
    """Append one balanced entry; raises before writing anything if it is not balanced."""
    lines = [ln for ln in lines if ln.debit_minor or ln.credit_minor]
    debits = sum(ln.debit_minor for ln in lines)
    credits = sum(ln.credit_minor for ln in lines)
    if any(ln.debit_minor < 0 or ln.credit_minor < 0 or (ln.debit_minor and ln.credit_minor) for ln in lines):
        raise UnbalancedEntryError("each line must be a single non-negative debit or credit")
    if debits != credits or debits == 0:
        raise UnbalancedEntryError(f"entry does not balance: debits {debits} != credits {credits}")
    entry = JournalEntry(id=new_id("je"), kind=kind, payment_id=payment_id, refund_id=refund_id,
                         capture_of=payment_id if kind == "capture" else None, currency=currency, memo=memo)
    session.add(entry)
    session.flush()
    for ln in lines:
        session.add(JournalLine(entry_id=entry.id, account=ln.account, debit_minor=ln.debit_minor,
                                credit_minor=ln.credit_minor, currency=currency))
    return entry


def split_capture(item_amounts: list[tuple[str, int]], fee_bps: int) -> tuple[int, dict[str, int]]:
    """(platform fee, payable per instructor) for ``[(instructor_id, amount_minor), ...]``."""
    fee_total = 0
    payable: dict[str, int] = defaultdict(int)
    for instructor_id, amount in item_amounts:
        fee = amount * fee_bps // 10_000
        fee_total += fee
        payable[instructor_id] += amount - fee
    return fee_total, dict(payable)


def capture_lines(amount_minor: int, fee_minor: int, payable: dict[str, int]) -> list[Line]:
    lines = [Line(LEARNER_FUNDS, debit_minor=amount_minor), Line(PLATFORM_REVENUE, credit_minor=fee_minor)]
    lines += [Line(PAYABLE_PREFIX + iid, credit_minor=amt) for iid, amt in sorted(payable.items())]
    return lines


def allocate_refund(parts: dict[str, int], reversed_so_far: dict[str, int], refund: int) -> dict[str, int]:
    """Split ``refund`` over accounts in proportion to what each can still give back.

    Each share is at most the account's remaining (captured minus already
    reversed) amount, so no account can go negative, and shares sum exactly to
    ``refund``; when the last minor unit is refunded every account is back to zero.
    """
    remaining = {acc: parts[acc] - reversed_so_far.get(acc, 0) for acc in parts}
    total = sum(remaining.values())
    if refund > total:
        raise UnbalancedEntryError(f"refund {refund} exceeds the remaining captured amount {total}")
    shares = {acc: rem * refund // total if total else 0 for acc, rem in remaining.items()}
    leftover = refund - sum(shares.values())
    for acc in sorted(remaining, key=lambda a: (shares[a] - remaining[a], a)):
        if leftover == 0:
            break
        give = min(leftover, remaining[acc] - shares[acc])
        shares[acc] += give
        leftover -= give
    return shares


def refund_lines(session: Session, payment_id: str, refund: int) -> list[Line]:
    """Reversal lines for a refund of ``refund`` minor units of a captured payment."""
    entry = session.scalar(select(JournalEntry).where(JournalEntry.capture_of == payment_id))
    if entry is None:
        raise LookupError(f"no capture entry for payment {payment_id}")
    parts = {ln.account: ln.credit_minor for ln in entry.lines if ln.credit_minor}
    reversed_so_far: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(JournalLine.account, func.sum(JournalLine.debit_minor))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.payment_id == payment_id, JournalEntry.kind == "refund")
        .group_by(JournalLine.account)
    ).all()
    for account, debit in rows:
        reversed_so_far[account] = int(debit or 0)
    shares = allocate_refund(parts, reversed_so_far, refund)
    lines = [Line(acc, debit_minor=amt) for acc, amt in sorted(shares.items())]
    return [*lines, Line(LEARNER_FUNDS, credit_minor=refund)]


def account_balances(session: Session) -> list[dict[str, object]]:
    rows = session.execute(
        select(JournalLine.account, JournalLine.currency, func.coalesce(func.sum(JournalLine.debit_minor), 0),
               func.coalesce(func.sum(JournalLine.credit_minor), 0))
        .group_by(JournalLine.account, JournalLine.currency).order_by(JournalLine.account)
    ).all()
    out = []
    for account, currency, debit, credit in rows:
        side = normal_side(account)
        balance = int(debit) - int(credit) if side == "debit" else int(credit) - int(debit)
        out.append({"account": account, "currency": currency, "debit_minor": int(debit),
                    "credit_minor": int(credit), "normal_side": side, "balance_minor": balance})
    return out


def trial_balance(session: Session) -> dict[str, object]:
    accounts = account_balances(session)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for acc in accounts:
        totals[str(acc["currency"])][0] += int(acc["debit_minor"])  # type: ignore[arg-type]
        totals[str(acc["currency"])][1] += int(acc["credit_minor"])  # type: ignore[arg-type]
    currency_totals = [{"currency": c, "total_debit_minor": d, "total_credit_minor": cr,
                        "difference_minor": d - cr} for c, (d, cr) in sorted(totals.items())]
    entries = session.scalar(select(func.count()).select_from(JournalEntry)) or 0
    return {"balanced": all(t["difference_minor"] == 0 for t in currency_totals), "entries": int(entries),
            "totals": currency_totals, "accounts": accounts}


def unbalanced_entries(session: Session) -> list[str]:
    """Ids of entries whose own lines do not balance (must always be empty)."""
    rows = session.execute(
        select(JournalLine.entry_id).group_by(JournalLine.entry_id)
        .having(func.sum(JournalLine.debit_minor) != func.sum(JournalLine.credit_minor))
    ).all()
    return [r[0] for r in rows]
