"""Synthetic customers: unique companies, mobiles and mailboxes, derived from the customer index.

Keys that must not collide between real customers (company name, mobile, e-mail) are bijections
of the index, so a million customers never share one by accident; everything else comes from the
customer's own random stream, so each customer is independent of how many others are generated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from orchestration.lib.normalise import credit_code_check_char

from .reference import (CHANNELS, CITIES, CORES, GIVEN, JUNK_MOBILE, MOBILE_PREFIXES, REPS, SUFFIXES,
                        SURNAMES, TRADES, TYPO_PAIRS, Channel, Rep)

_CHANNEL_CUM_WEIGHTS = list(accumulate(c.weight for c in CHANNELS))
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class Customer:
    index: int
    rng: random.Random
    company: str
    credit_code: str
    contact: str
    given: str
    surname: str
    latin: str
    mobile: str
    email: str
    channel: Channel
    rep: Rep
    created_at: datetime
    has_lead: bool
    in_wecom: bool
    in_email: bool

    @property
    def customer_id(self) -> str:
        return f"C{self.index:08d}"


def company_name(index: int, rng: random.Random) -> str:
    n, core1 = divmod(index, len(CORES))
    n, core2 = divmod(n, len(CORES))
    n, trade = divmod(n, len(TRADES))
    n, city = divmod(n, len(CITIES))
    core = CORES[core1] + CORES[core2] + (f"{n + 1}号" if n else "")
    if rng.random() < 0.25:
        return f"{core}{TRADES[trade]}({CITIES[city]}){rng.choice(SUFFIXES)}"
    return f"{CITIES[city]}{core}{TRADES[trade]}{rng.choice(SUFFIXES)}"


def _mobile(index: int, seed: int, rng: random.Random) -> str:
    # 48271 is coprime with 10**8: distinct indexes get distinct last eight digits.
    suffix = (index * 48271 + seed * 7919 + 12345) % 10**8
    number = f"{rng.choice(MOBILE_PREFIXES)}{suffix:08d}"
    return "13900139000" if number == JUNK_MOBILE else number


def make_customer(index: int, seed: int, start: datetime, days: int) -> Customer:
    rng = random.Random(seed * 1_000_003 + index)
    surname, latin = rng.choice(SURNAMES)
    given = rng.choice(GIVEN)
    first17 = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
        rng.choice(_CREDIT_ALPHABET) for _ in range(9))
    email = (f"{10_000_000 + index * 7}@qq.com" if rng.random() < 0.3 else f"{latin}{index}@corp{index:x}.com.cn")
    span = max(3600, (days - 3) * 86400)
    has_lead = rng.random() < 0.9
    return Customer(
        index=index,
        rng=rng,
        company=company_name(index, rng),
        credit_code=first17 + credit_code_check_char(first17),
        contact=surname + given,
        given=given,
        surname=surname,
        latin=latin,
        mobile=_mobile(index, seed, rng),
        email=email,
        channel=rng.choices(CHANNELS, cum_weights=_CHANNEL_CUM_WEIGHTS)[0],
        rep=rng.choice(REPS),
        created_at=start + timedelta(seconds=rng.randrange(span)),
        has_lead=has_lead,
        in_wecom=(not has_lead) or rng.random() < 0.55,
        in_email=rng.random() < 0.4,
    )


def mobile_variant(rng: random.Random, mobile: str) -> str:
    """The same mobile as a person or a form might type it."""
    choice = rng.randrange(8)
    if choice == 0:
        return f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if choice == 1:
        return f"+86 {mobile}"
    if choice == 2:
        return f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if choice == 3:
        return mobile.translate(_FULL_WIDTH)
    if choice == 4:
        return f"0086{mobile}"
    return mobile


def company_variant(rng: random.Random, company: str) -> str:
    """How clerks and reps write the same name: full-width brackets, a trailing space."""
    if "(" in company and rng.random() < 0.5:
        return company.replace("(", "（").replace(")", "）")
    if rng.random() < 0.1:
        return company + " "
    return company


def company_typo(rng: random.Random, company: str) -> str:
    """A mistyped company name (a look-alike or same-sound character), or a dropped character."""
    positions = [i for i, ch in enumerate(company) if ch in TYPO_PAIRS]
    if positions:
        i = rng.choice(positions)
        return company[:i] + TYPO_PAIRS[company[i]] + company[i + 1:]
    i = rng.randrange(1, max(2, len(company) - 4))
    return company[:i] + company[i + 1:]


def wecom_display_name(rng: random.Random, customer: Customer) -> str:
    choice = rng.randrange(5)
    return [customer.contact, customer.latin.title() + customer.given, f"小{customer.given[-1]}",
            "🌟" + customer.contact, customer.contact + "-" + customer.company[:4]][choice]
