"""The guarded outbound client (common/outbound.py): the refused targets, the operator's
allowed networks, DNS rebinding, redirects and the answer size, against real listeners on
127.0.0.1 and 127.0.0.2."""

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tasksync.common.outbound import Guard, IPAddress, RefusedTarget, parse_networks, post

REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost:8000/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::1]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "http://[ff02::1]/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://user:secret@example.com/",
    "http://@example.com/",
    "http:///no-host",
    "http://example.com:99999/",
]


def fixed(*answers: str) -> tuple[list[str], object]:
    """A resolver stub answering each call with the next address (the last one repeats)."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        answer = answers[min(len(asked), len(answers)) - 1]
        return [ipaddress.ip_address(answer)]

    return asked, resolve


class TestRefused:
    @pytest.mark.parametrize("url", REFUSED)
    async def test_refused_whatever_the_spelling(self, url: str) -> None:
        with pytest.raises(RefusedTarget):
            await Guard().check(url)

    async def test_a_public_name_resolving_inward_is_refused(self) -> None:
        _, resolve = fixed("10.1.2.3")
        with pytest.raises(RefusedTarget, match=r"10\.1\.2\.3"):
            await Guard(resolve=resolve).check("https://hooks.example.com/x")

    async def test_a_name_with_one_bad_address_among_good_ones_is_refused(self) -> None:
        async def resolve(host: str, port: int) -> list[IPAddress]:
            return [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("127.0.0.1")]

        with pytest.raises(RefusedTarget):
            await Guard(resolve=resolve).check("https://hooks.example.com/x")

    async def test_a_public_address_passes_and_is_the_one_pinned(self) -> None:
        _, resolve = fixed("93.184.215.14")
        target = await Guard(resolve=resolve).check("https://hooks.example.com:8443/x")
        assert (target.host, target.port, str(target.address)) == (
            "hooks.example.com",
            8443,
            "93.184.215.14",
        )


class TestAllowedNetworks:
    async def test_an_opened_network_passes_and_without_it_the_same_url_is_refused(
        self,
    ) -> None:
        url = "http://127.0.0.1:9/hook"
        assert (await Guard(allow=parse_networks("127.0.0.1/32")).check(url)).port == 9
        with pytest.raises(RefusedTarget):
            await Guard().check(url)
        with pytest.raises(RefusedTarget):
            await Guard(allow=parse_networks("127.0.0.1/32")).check("http://127.0.0.2/")


class Listener:
    """An HTTP server counting connections, answering `reply` (raw bytes) to anything."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(self.reply)
        await writer.drain()
        writer.close()


@asynccontextmanager
async def listening(host: str, port: int, listener: Listener) -> AsyncIterator[int]:
    server = await asyncio.start_server(listener.handle, host, port)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def response(status: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    return head.encode() + body


class TestSending:
    async def test_dns_rebinding_cannot_reach_an_address_that_was_not_checked(self) -> None:
        checked, inward = Listener(response("200 OK", b"ok")), Listener(response("200 OK"))
        asked, resolve = fixed("127.0.0.2", "127.0.0.1")
        guard = Guard(allow=parse_networks("127.0.0.2/32"), resolve=resolve)
        async with listening("127.0.0.2", 0, checked) as port, listening("127.0.0.1", port, inward):
            answer = await post(
                guard, f"http://hooks.test:{port}/x", body=b"{}", headers={}, timeout=5
            )
        assert (answer.status, answer.body) == (200, b"ok")
        assert (checked.connections, inward.connections) == (1, 0)
        assert asked == ["hooks.test"]

    async def test_a_redirect_to_the_metadata_address_is_not_followed(self) -> None:
        redirect = Listener(
            response("302 Found", extra="Location: http://169.254.169.254/latest/\r\n")
        )
        async with listening("127.0.0.1", 0, redirect) as port:
            guard = Guard(allow=parse_networks("127.0.0.1/32"))
            answer = await post(guard, f"http://127.0.0.1:{port}/", body=b"", headers={})
        assert answer.status == 302
        assert redirect.connections == 1

    async def test_at_most_max_body_bytes_of_the_answer_are_read(self) -> None:
        big = Listener(response("200 OK", b"x" * 1_000_000))
        async with listening("127.0.0.1", 0, big) as port:
            guard = Guard(allow=parse_networks("127.0.0.1/32"))
            answer = await post(
                guard, f"http://127.0.0.1:{port}/", body=b"", headers={}, max_body=65536
            )
        assert len(answer.body) == 65536
