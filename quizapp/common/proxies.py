"""Client addresses from the trusted proxy chain only.

Werkzeug's ProxyFix believes X-Forwarded-For from whoever sends it: with the
app reachable directly, a rotating header defeats the sign-in throttle and
forges the audit address. Here forwarded headers count only when the
connection comes from a configured proxy (TRUSTED_PROXIES), and the client is
the right-most address in X-Forwarded-For that is not itself a trusted proxy.
"""
import ipaddress


def parse_networks(text):
    """``"127.0.0.1, 10.0.0.0/8, unix"`` -> (networks, trust_unix_socket); a bad entry stops start-up."""
    networks, unix = [], False
    for entry in (text or "").replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        if entry == "unix":
            unix = True
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise RuntimeError(f"TRUSTED_PROXIES: {entry!r} is not an address, a network or 'unix'") from None
    return tuple(networks), unix


class TrustedProxies:
    """WSGI middleware: set REMOTE_ADDR (and the scheme) from X-Forwarded-* sent by trusted proxies only."""

    def __init__(self, wsgi_app, trusted):
        self.wsgi_app = wsgi_app
        self.networks, self.unix = parse_networks(trusted)

    def is_trusted(self, address):
        if not address:  # a unix socket has no peer address
            return self.unix
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return self.unix and "/" in address or False
        return any(ip in network for network in self.networks)

    def client_address(self, remote, forwarded_for):
        """The right-most hop not in the trusted set (each proxy appends the address it saw)."""
        client = remote
        for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # not written by our proxy: stop at the last hop it vouched for
            client = hop
            if not self.is_trusted(hop):
                break
        return client

    def __call__(self, environ, start_response):
        remote = environ.get("REMOTE_ADDR", "")
        if self.is_trusted(remote):
            forwarded_for = environ.get("HTTP_X_FORWARDED_FOR", "")
            if forwarded_for:
                environ["REMOTE_ADDR"] = self.client_address(remote, forwarded_for)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.wsgi_app(environ, start_response)
