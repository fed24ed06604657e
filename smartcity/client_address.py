"""The address a request came from, as failed admin sign-ins count it (django-axes calls
this through AXES_CLIENT_IP_CALLABLE).

Behind reverse proxies, REMOTE_ADDR is the nearest proxy's address, and each proxy appends
the address it received the request from to X-Forwarded-For. With TRUSTED_PROXIES = N proxies
in front, the client's address is the N-th entry from the right; entries further left were
sent by the client itself and can say anything. With 0 (the default, a server clients reach
directly) the header is ignored: trusting it there would let anyone choose the address their
failures count against.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0))
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    if not hops:
        return remote
    # Fewer entries than proxies: every one was written by a proxy; the first is the client.
    address = hops[-proxies] if len(hops) >= proxies else hops[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:  # a proxy that writes ports or names: count against the connection
        return remote
