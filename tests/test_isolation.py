"""The run is hermetic: nothing outside loopback is reachable."""

import socket

import pytest


@pytest.mark.parametrize("address", [("1.1.1.1", 443), ("8.8.8.8", 53)])
def test_no_route_out(isolated, address):
    with socket.socket() as s, pytest.raises(OSError) as err:
        s.settimeout(5)
        s.connect(address)
    assert err.value.errno == 101, f"expected 'Network is unreachable', got {err.value!r}"
