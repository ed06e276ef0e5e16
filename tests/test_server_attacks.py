"""Bad addresses and misbehaving servers: each is one line naming the problem and the fix,
never a traceback, never a credential (tests/server_stub.py scripts the server)."""

from __future__ import annotations

import pytest

from playground.errors import UserError
from playground.server.address import checked_url


@pytest.mark.parametrize("url", ["http://[::1", "http://[bold]x:1", "http://ho st:80", "http://a\x1b[31mb:1",
                                 "ftp://host", "http://user:pw@[::1"])
def test_an_address_that_does_not_parse_is_one_line(url: str) -> None:
    with pytest.raises(UserError, match="is not a server address: give one like http://host:8000") as caught:
        checked_url(url)
    assert "pw" not in str(caught.value) and "\x1b" not in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:0", "http://127.0.0.1:99999", "http://127.0.0.1:abc",
                                 "http://alice:s3cret@127.0.0.1:0/?key=s3cret"])
def test_a_port_out_of_range_is_named(url: str) -> None:
    with pytest.raises(UserError, match="has no usable port: give a number from 1 to 65535") as caught:
        checked_url(url)
    assert "s3cret" not in str(caught.value)


def test_good_addresses_pass() -> None:
    assert checked_url("http://[::1]:8000/v1") == "http://[::1]:8000"
    assert checked_url("https://gpu-1.example_lab.org") == "https://gpu-1.example_lab.org"
