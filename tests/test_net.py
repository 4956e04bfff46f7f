from __future__ import annotations

from bizosaas.core.net import client_ip

TRUSTED = ("127.0.0.1/32", "10.0.0.0/8")


def test_forwarded_for_is_ignored_from_an_untrusted_peer():
    assert client_ip("203.0.113.9", "1.2.3.4", TRUSTED) == "203.0.113.9"


def test_the_rightmost_untrusted_hop_is_the_client():
    # The client forged "6.6.6.6"; our own proxies appended the real address after it.
    assert client_ip("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", TRUSTED) == "198.51.100.7"


def test_garbage_in_forwarded_for_falls_back_to_the_peer():
    assert client_ip("127.0.0.1", "not-an-ip", TRUSTED) == "127.0.0.1"
    assert client_ip("127.0.0.1", None, TRUSTED) == "127.0.0.1"
