"""The one guarded client for every request TaskSync sends to an address someone gave it
(webhooks first): it cannot be aimed inward (SSRF).

- Only `http` and `https`, no userinfo (`user:pass@`), a host and a port.
- The host is resolved once; every address it resolves to must be public, or inside a
  network the operator opened (`allow`, e.g. `TASKSYNC_WEBHOOK_ALLOW_NETWORKS`); the
  connection then goes to the checked address (the `Host` header and TLS SNI keep the
  name), so DNS rebinding cannot turn a public name into 127.0.0.1 between check and send.
- Refused: loopback, private, link-local (the cloud metadata address 169.254.169.254 among
  them), CGNAT, `0.0.0.0/8`, multicast, reserved and documentation ranges, and IPv6's
  equivalents and IPv4 wrappers (mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, 6to4
  `2002::/16`, Teredo `2001::/32`), whose embedded IPv4 address is checked as well.
  Decimal, hex and octal spellings of IPv4 addresses resolve to the address they mean and
  are judged by it.
- Redirects are never followed (a 3xx is an answer like any other), the whole exchange has
  a time limit, and at most `max_body` bytes of the answer are read.
"""

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses it resolves to.
Resolve = Callable[[str, int], Awaitable[list[IPAddress]]]

BLOCKED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/32",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


class RefusedTarget(ValueError):
    """The URL may not be fetched; the message says why (safe to show to the person who
    gave it)."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """`"127.0.0.1/32, 10.1.0.0/16"` -> networks (empty text: none)."""
    return tuple(ipaddress.ip_network(part.strip()) for part in text.split(",") if part.strip())


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address a request may go to without an operator's say-so."""
    if any(address in network for network in BLOCKED if network.version == address.version):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


@dataclass(frozen=True)
class Target:
    """A URL that passed the guard, and the address the connection must go to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


class Guard:
    def __init__(self, *, allow: Iterable[Network] = (), resolve: Resolve = system_resolve):
        self.allow = tuple(allow)
        self.resolve = resolve

    def _allowed(self, address: IPAddress) -> bool:
        if any(address in net for net in self.allow if net.version == address.version):
            return True
        return is_public(address)

    def check_shape(self, url: str) -> tuple[str, str, int]:
        """The parts of a URL that may be fetched (before any resolution)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise RefusedTarget(f"Not a usable URL: {exc}.") from None
        if parts.scheme not in ("http", "https"):
            raise RefusedTarget("Only http and https URLs are allowed.")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise RefusedTarget("The URL may not carry a user name or password.")
        host = parts.hostname
        if not host:
            raise RefusedTarget("The URL has no host.")
        return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)

    async def check(self, url: str) -> Target:
        """Resolves the URL's host once and judges every address; refuses with a reason."""
        scheme, host, port = self.check_shape(url)
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        try:
            addresses = [literal] if literal else await self.resolve(host, port)
        except OSError:
            raise RefusedTarget(f"The host {host} could not be resolved.") from None
        if not addresses:
            raise RefusedTarget(f"The host {host} could not be resolved.")
        for address in addresses:
            if not self._allowed(address):
                raise RefusedTarget(
                    f"{host} resolves to {address}, an address requests may not go to "
                    "(loopback, private, link-local or reserved)."
                )
        return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


class _PinnedResolver(AbstractResolver):
    """Answers the one address the guard checked, whatever DNS says now."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != self.target.host:
            raise OSError(f"refusing to resolve {host}: not the checked host")
        address = self.target.address
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int
    # The first `max_body` bytes of the body.
    body: bytes
    headers: Mapping[str, str]
    seconds: float


async def post(
    guard: Guard,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float = 10.0,
    max_body: int = 64 * 1024,
) -> Answer:
    """POSTs `body` to `url` through the guard (checked now, connection pinned to the checked
    address, no redirects). Raises `RefusedTarget`, or aiohttp/timeout errors."""
    target = await guard.check(url)
    started = time.monotonic()
    connector = aiohttp.TCPConnector(resolver=_PinnedResolver(target), use_dns_cache=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session,
        session.post(url, data=body, headers=dict(headers), allow_redirects=False) as response,
    ):
        read = b""
        while len(read) < max_body and (chunk := await response.content.read(max_body - len(read))):
            read += chunk
        answer_headers: dict[str, Any] = dict(response.headers)
        return Answer(response.status, read, answer_headers, time.monotonic() - started)
