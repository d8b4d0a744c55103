"""Network guards for the crawler: which addresses it may connect to, and how many requests it may send.

A crawler fetches URLs that other people wrote (links, redirects, sitemaps), so
it is a server-side request forgery vector: a page or a ``Location`` header can
point it at ``127.0.0.1:6333``, ``169.254.169.254`` or a host name whose DNS
answer is swapped to an internal address between two lookups (DNS rebinding).
The guard therefore sits where the socket is opened, not where URLs are parsed:

* :class:`AddressPolicy` resolves a host once per crawl, refuses it when any of
  its addresses is not public unicast (unless its origin is allowlisted — the
  crawl's own configured seed, e.g. the loopback docs server), and pins the
  answer so every later connection to that host uses the very addresses that
  were checked.
* :class:`GuardedTransport` is an ``httpx`` transport whose connections are
  opened through that policy, so robots.txt, sitemaps, pages and every redirect
  hop are covered, and TLS still verifies the certificate of the host name.
* :class:`RequestBudget` caps every request attempt of a crawl (retries,
  redirects, robots.txt and sitemaps included), which ``max_pages`` (successes
  only) cannot do.

Refusals are raised as :class:`Refused` with a short machine-readable reason;
the crawler counts them in its summary instead of failing the crawl.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

BLOCKED_ADDRESS = "blocked_address"
OUT_OF_SCOPE = "out_of_scope"
DISALLOWED = "disallowed"
TOO_LARGE = "too_large"
TOO_MANY_REDIRECTS = "too_many_redirects"
REQUEST_BUDGET = "request_budget"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddrInfo = tuple[Any, ...]  # one socket.getaddrinfo() row: (family, type, proto, canonname, sockaddr)
Resolver = Callable[[str, int], list[AddrInfo]]
Origin = tuple[str, int]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(Exception):
    """A request the crawler decided not to send; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches in practice (mapped, 6to4, NAT64), if any.

    ``::ffff:127.0.0.1`` is loopback on a dual-stack socket although ``ipaddress``
    does not call it so, and ``2002:7f00:1::`` is "global" yet tunnels to 127.0.0.1.
    """
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def address_block_reason(ip: str | IPAddress) -> str | None:
    """``None`` when ``ip`` is a public unicast address, else the class that makes it internal.

    Checked in order: unspecified, loopback, link-local (cloud metadata lives at
    169.254.169.254), multicast, private, reserved, and finally anything
    ``ipaddress`` does not consider globally routable (e.g. 100.64.0.0/10).
    """
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0].strip("[]"))  # drop an IPv6 zone id
    addr: IPAddress = ip
    if isinstance(addr, ipaddress.IPv6Address):
        addr = _embedded_ipv4(addr) or addr
    checks = (
        ("unspecified", addr.is_unspecified),
        ("loopback", addr.is_loopback),
        ("link_local", addr.is_link_local),
        ("multicast", addr.is_multicast),
        ("private", addr.is_private),
        ("reserved", addr.is_reserved),
        ("not_global", not addr.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def origin_of(url: str) -> Origin:
    """``(host, port)`` with the scheme's default port filled in: the key of the address allowlist."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").lower(), port


def _system_resolver(host: str, port: int) -> list[AddrInfo]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


class AddressPolicy:
    """Resolve, check and pin the addresses of every host the crawl connects to.

    Hosts are resolved once per policy (one crawl); the checked answer is then
    the only thing connections use, so a second DNS answer cannot smuggle an
    internal address in after the check. Origins in ``allowed`` (the crawl's
    configured seed) may resolve to internal addresses; every other origin must
    resolve to public addresses only — one internal address refuses the host.
    """

    def __init__(self, allowed: Iterable[Origin] = (), *, resolver: Resolver | None = None) -> None:
        self.allowed = frozenset((h.lower().strip("[]"), p) for h, p in allowed)
        self._resolver = resolver or _system_resolver
        self._pinned: dict[Origin, list[AddrInfo]] = {}
        self._lock = threading.Lock()

    def addresses(self, host: str, port: int) -> list[AddrInfo]:
        """The checked ``getaddrinfo`` rows for ``host:port``; raises :class:`Refused` if internal."""
        key = (host.lower().strip("[]"), port)
        with self._lock:
            pinned = self._pinned.get(key)
        if pinned is not None:
            return pinned
        try:
            infos = self._resolver(key[0], port)
        except OSError as exc:  # resolution failure: a transport error, retried like one
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not infos:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        if key not in self.allowed:
            for info in infos:
                ip = str(info[4][0])
                reason = address_block_reason(ip)
                if reason is not None:
                    raise Refused(BLOCKED_ADDRESS, f"{host} resolves to {ip} ({reason})")
        with self._lock:
            return self._pinned.setdefault(key, infos)


class _GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to the addresses :class:`AddressPolicy` checked for the host."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: httpcore.ConnectError | None = None
        for info in self.policy.addresses(host, port):
            ip = str(info[4][0])  # a literal address: the base backend does no further DNS lookup
            try:
                return super().connect_tcp(ip, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}:{port}")


class GuardedTransport(httpx.HTTPTransport):
    """An ``httpx`` transport whose every connection goes through an :class:`AddressPolicy`.

    Only the connection pool's network backend changes: TLS still verifies the
    URL's host name (httpcore uses the origin host for SNI and certificate
    checks), and no environment proxy is used (a proxy would connect on the
    crawler's behalf and bypass the check), because a client given an explicit
    transport ignores ``HTTP(S)_PROXY``.
    """

    def __init__(self, policy: AddressPolicy, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("unsupported httpx version: cannot install the crawler's address guard")
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


class RequestBudget:
    """Thread-safe count of request attempts, with an optional hard limit.

    Every attempt counts — retries, redirect hops, robots.txt and sitemaps —
    because each costs the remote site (and the crawl's wall time, at up to one
    Crawl-delay each) whether or not it yields a page.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = False
        self._lock = threading.Lock()

    def take(self) -> None:
        """Account for one request about to be sent; raises :class:`Refused` once the limit is spent."""
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                self.exhausted = True
                raise Refused(REQUEST_BUDGET, f"max_requests={self.limit} reached")
            self.used += 1
