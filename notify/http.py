"""The outgoing HTTP of webhooks: an SSRF guard that resolves a target once and vets every
address, and connections pinned to the vetted addresses so DNS cannot change in between."""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

EXCERPT_BYTES = 1024


@dataclass
class Target:
    host: str
    port: int
    path: str
    https: bool
    addresses: list[str]


def _address_problem(address: str) -> str | None:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for flag in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{flag}"):
            return f"{address} is a {flag.replace('_', '-')} address"
    if not ip.is_global:  # shared (100.64/10), benchmarking and other special ranges
        return f"{address} is not a public address"
    return None


def target_resolve(url: str) -> tuple[Target | None, str | None]:
    """Parse and resolve a URL; the addresses are the ones the request may connect to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return None, f"Not a valid URL: {exc}."
    if parts.scheme not in ("http", "https"):
        return None, "Only http:// and https:// targets are allowed."
    if not parts.hostname:
        return None, "The URL has no host."
    if parts.username or parts.password:
        return None, "Put no credentials in the URL; the signature authenticates the sender."
    https = parts.scheme == "https"
    port = port or (443 if https else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return None, f"{parts.hostname} does not resolve: {exc}."
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            problem = _address_problem(address)
            if problem:
                return None, (
                    f"{parts.hostname} resolves to {problem}; private targets are refused "
                    "(WEBHOOK_ALLOW_PRIVATE_TARGETS)."
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.hostname, port, path, https, addresses), None


def target_problem(url: str) -> str | None:
    """Why a URL may not receive webhooks (scheme, resolution, a non-public address), or None."""
    return target_resolve(url)[1]


class _PinnedConnection(http.client.HTTPConnection):
    """Connects only to the addresses vetted by the guard, so DNS cannot change in between."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def _open(self) -> socket.socket:
        error: OSError | None = None
        for address in self.addresses:
            try:
                return socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedTLSConnection(_PinnedConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def post(target: Target, *, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """One POST to the vetted addresses: (status, the start of the response body). Redirects
    are not followed (the caller counts them as failures)."""
    connection_class = _PinnedTLSConnection if target.https else _PinnedConnection
    connection = connection_class(target, timeout=settings.WEBHOOK_TIMEOUT)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        return response.status, excerpt
    finally:
        connection.close()
