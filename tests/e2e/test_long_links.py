"""Long links against the real web server: what the app writes is served, whatever the
network splits it into; an over-long one gets the app's message, not a bare 400, up to
the longest address a browser sends."""

import socket
import time
from urllib.parse import quote

from playwright.sync_api import expect

from resnet_core import analyze, get_spec, share
from resnet_core.presets import DEFAULT_PRESET

from .browser import wait_idle

# What Chromium sends besides the address, with Streamlit's XSRF cookie: about 1.3 KB.
HEADERS = (
    "Host: {host}\r\n"
    "Connection: keep-alive\r\n"
    'sec-ch-ua: "Chromium";v="141", "Not?A_Brand";v="8"\r\n'
    'sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: "Linux"\r\n'
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
    "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\n"
    "Sec-Fetch-Dest: document\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-GB,en-US;q=0.9,en;q=0.8,fr;q=0.7,de;q=0.6\r\n"
    "Cookie: _streamlit_xsrf={xsrf}\r\n\r\n"
)


def status_of(server, target: str, piece: int = 1400) -> int:
    """The status line's code for GET ``target``, its request sent ``piece`` bytes at a
    time, as a network's segments split it: the server's limit applies to a head still
    incomplete past 16 KiB (sent whole over loopback, a longer one may pass)."""
    host = server.url.removeprefix("http://")
    head = (
        f"GET {target} HTTP/1.1\r\n" + HEADERS.format(host=host, xsrf="2|" + "f" * 160)
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        for i in range(0, len(head), piece):
            try:
                s.sendall(head[i : i + piece])
            except OSError:  # the server answered and closed before the rest
                break
            time.sleep(0.002)
        answer = s.recv(200)
    return int(answer.split()[1])


def test_the_longest_link_the_app_writes_is_served_in_pieces(server):
    token = "A" * share.MAX_TOKEN_CHARS  # base64url: no escaping in a URL
    assert status_of(server, f"/compose?base=cifar_resnet20&spec={token}") == 200


def test_a_refused_long_value_gets_the_apps_message(server, page):
    page.goto(f"{server.url}/compose?preset={quote('a' * 13_000)}")
    wait_idle(page)
    expect(page.get_by_text("This link is too long")).to_be_visible()
    default = analyze(get_spec(DEFAULT_PRESET)).totals.total_params  # what it shows instead
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(f"{default:,}")


def test_a_link_past_the_servers_own_limit_gets_the_apps_message_too(server, page):
    """uvicorn's h11 refuses a request head over 16 KiB in pieces with a bare 400; the app
    starts through ui.serve, which raises that bound before the server takes its first
    connection, so a 100 KB link reaches the app and its message, in a browser that has
    not opened the app before too. A head past 2 MiB (longer than any address Chromium
    sends) is still the server's to refuse: the bound stays."""
    from ui.server_limits import MAX_REQUEST_HEAD

    assert status_of(server, "/compose?preset=" + "a" * 100_000) == 200
    page.goto(f"{server.url}/compose?preset={'a' * 100_000}")
    wait_idle(page)
    expect(page.get_by_text("This link is too long")).to_be_visible()
    assert status_of(server, "/compose?preset=" + "a" * (MAX_REQUEST_HEAD + 10_000)) == 400
