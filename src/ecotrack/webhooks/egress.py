"""Outbound HTTP to webhook receivers, with the SSRF policy enforced at connect time.

A target is refused unless every address its host resolves to is a public unicast address:
loopback, private (RFC 1918, ULA), link-local (169.254/16 with the cloud metadata service,
fe80::/10), shared (100.64/10), multicast, reserved, unspecified and documentation ranges are
all refused, also when wrapped in IPv6 (IPv4-mapped, 6to4, Teredo, NAT64). The check runs when
an endpoint is saved and again on every attempt *inside the connection*: the transport resolves
the name itself, vets the addresses and connects to a vetted one, so a DNS answer that changes
between check and use (rebinding) cannot slip through. Redirects are never followed, proxies from
the environment are ignored, and a response is read up to a size and time limit.
`ECOTRACK_WEBHOOKS_ALLOW_PRIVATE=true` lifts the address check (local development and tests).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
SNIPPET_BYTES = 1024
USER_AGENT = "EcoTrack-Webhooks/1"


class TargetRefused(Exception):
    """The URL may not be called: a bad scheme or host, or an address the policy refuses."""


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address carried inside an IPv6 one (mapped, 6to4, Teredo, NAT64), else `ip`."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal_reason(ip: IPAddress) -> str | None:
    """Why `ip` is not a permitted webhook target, or None for a public unicast address."""
    inner = _unwrap(ip)
    checks = (
        ("unspecified", inner.is_unspecified),
        ("loopback", inner.is_loopback),
        ("link-local", inner.is_link_local),
        ("multicast", inner.is_multicast),
        ("private", inner.is_private),
        ("reserved", inner.is_reserved),
    )
    for reason, hit in checks:
        if hit:
            return reason
    if not inner.is_global:
        return "not globally routable"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"host {host!r} does not resolve") from exc
    out: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    if not out:
        raise TargetRefused(f"host {host!r} does not resolve")
    return out


def vet_addresses(host: str, addresses: Iterable[IPAddress], *, allow_private: bool) -> None:
    if allow_private:
        return
    for address in addresses:
        reason = refusal_reason(address)
        if reason is not None:
            raise TargetRefused(f"{host} resolves to {address}, a {reason} address")


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse (TargetRefused) a URL a webhook may not target: not http(s), credentials in it, no
    host, or a host resolving to an address the policy refuses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("credentials in the URL are not allowed; authenticate by signature")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("the URL has an invalid port") from exc
    vet_addresses(host, resolve(host, port), allow_private=allow_private)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, vets and connects to a vetted address (TLS still verifies the host name)."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
            vet_addresses(host, addresses, allow_private=self.allow_private)
        except TargetRefused as exc:
            raise httpcore.ConnectError(f"refused: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # noqa: S101 - resolve() never returns an empty list
        raise last


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool whose sockets go through `_GuardedBackend`."""

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__(trust_env=False, retries=0)
        ssl_context = httpx.create_ssl_context(trust_env=False)
        # httpx 0.28 builds its pool without a network-backend hook: swap in an equivalent one.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            max_keepalive_connections=0,
            retries=0,
            network_backend=_GuardedBackend(allow_private=allow_private),
        )


@dataclass(frozen=True)
class Outcome:
    """What one attempt produced: a status code (any answer) or an error (no answer)."""

    latency_ms: float
    status_code: int | None = None
    snippet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


KEPT_HEADERS = ("content-type", "retry-after", "location", "webhook-delivery")


def post(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    max_response_bytes: int,
    allow_private: bool,
) -> Outcome:
    """POST `body` once. Never raises for network trouble: the error is in the outcome."""
    start = time.perf_counter()

    def elapsed_ms() -> float:
        return round((time.perf_counter() - start) * 1000, 3)

    try:
        check_url(url, allow_private=allow_private)  # a clear reason; the transport re-checks
        transport = GuardedTransport(allow_private=allow_private)
        with (
            httpx.Client(
                transport=transport, timeout=timeout_s, follow_redirects=False, trust_env=False
            ) as client,
            client.stream(
                "POST",
                url,
                content=body,
                headers={"user-agent": USER_AGENT, "content-type": "application/json", **headers},
            ) as response,
        ):
            received = bytearray()
            deadline = start + timeout_s
            for chunk in response.iter_raw():
                received.extend(chunk)
                if len(received) >= max_response_bytes or time.perf_counter() > deadline:
                    break
            snippet = bytes(received[:SNIPPET_BYTES]).decode("utf-8", errors="replace")
            kept = {k: v[:200] for k in KEPT_HEADERS if (v := response.headers.get(k))}
            return Outcome(
                latency_ms=elapsed_ms(),
                status_code=response.status_code,
                snippet=snippet,
                headers=kept,
            )
    except TargetRefused as exc:
        return Outcome(latency_ms=elapsed_ms(), error=f"refused: {exc}"[:500])
    except httpx.HTTPError as exc:
        return Outcome(latency_ms=elapsed_ms(), error=f"{type(exc).__name__}: {exc}"[:500])
