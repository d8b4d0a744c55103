"""Unit tests of the address guard: which IP classes are internal, and DNS answers are pinned."""

from __future__ import annotations

import socket

import pytest

from crawlers.config import CrawlConfig
from crawlers.discovery import effective_gap
from crawlers.fetch_guard import AddressPolicy, Refused, RequestBudget, address_block_reason, origin_of


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("169.254.169.254", "link_local"),  # cloud metadata
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "private"),  # reserved 240/4; ipaddress also files it under private
        ("255.255.255.255", "private"),
        ("100.64.0.1", "not_global"),  # carrier-grade NAT shared space
        ("198.18.0.1", "private"),  # benchmarking
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: reaches 127.0.0.1 on a dual-stack socket
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link_local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link_local"),  # NAT64 wrapping 169.254.169.254
        ("fe80::1", "link_local"),
        ("fe80::1%eth0", "link_local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "private"),  # documentation range
        ("::127.0.0.1", "reserved"),  # deprecated IPv4-compatible form
    ],
)
def test_internal_address_classes_are_blocked(ip: str, reason: str) -> None:
    assert address_block_reason(ip) == reason


@pytest.mark.parametrize("ip", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(ip: str) -> None:
    assert address_block_reason(ip) is None


def _rows(*ips: str, port: int = 80) -> list[tuple]:
    return [
        (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
        for ip in ips
    ]


def test_policy_refuses_any_internal_answer_unless_the_origin_is_allowlisted() -> None:
    answers = {"evil.test": _rows("93.184.216.34", "10.0.0.5"), "docs.internal": _rows("10.0.0.7")}
    policy = AddressPolicy([("docs.internal", 80)], resolver=lambda host, port: answers[host])
    with pytest.raises(Refused) as exc:
        policy.addresses("evil.test", 80)  # one internal address among public ones is enough
    assert exc.value.reason == "blocked_address" and "10.0.0.5" in exc.value.detail
    assert policy.addresses("docs.internal", 80) == answers["docs.internal"]
    with pytest.raises(Refused):
        policy.addresses("docs.internal", 8080)  # allowlisted is an origin, not every port of the host


def test_policy_pins_the_checked_answer_against_dns_rebinding() -> None:
    answers = [_rows("93.184.216.34"), _rows("127.0.0.1")]  # the second lookup would rebind to loopback
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[tuple]:
        calls.append(host)
        return answers[len(calls) - 1]

    policy = AddressPolicy(resolver=resolver)
    first = policy.addresses("docs.example", 80)
    assert policy.addresses("DOCS.example", 80) == first == _rows("93.184.216.34")
    assert calls == ["docs.example"]


def test_seed_origin_is_the_default_private_allowlist() -> None:
    cfg = CrawlConfig(start_url="http://127.0.0.1:8765/index.html", scope="http://127.0.0.1:8765/tutorial/")
    assert cfg.private_allowlist() == {("127.0.0.1", 8765)}
    assert CrawlConfig(start_url="http://127.0.0.1:8765/", allow_private=()).private_allowlist() == set()
    assert origin_of("https://Docs.Example/x") == ("docs.example", 443)
    assert origin_of("docs.internal:8080") == ("docs.internal", 8080)


def test_request_budget_and_crawl_delay_cap() -> None:
    budget = RequestBudget(2)
    budget.take()
    budget.take()
    with pytest.raises(Refused) as exc:
        budget.take()
    assert exc.value.reason == "request_budget" and budget.used == 2 and budget.exhausted
    assert CrawlConfig(start_url="http://h/").max_crawl_delay_s == 10.0
    assert effective_gap(0.0, 100_000, 10.0) == 10.0  # a hostile Crawl-delay cannot stall the crawl
    assert effective_gap(0.5, 2, 10.0) == 2.0 and effective_gap(3.0, None, 10.0) == 3.0
    with pytest.raises(ValueError, match="max_requests"):
        CrawlConfig(start_url="http://h/", max_requests=0)
