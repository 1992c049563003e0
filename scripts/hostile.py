#!/usr/bin/env python3
"""Attacks `mauth serve` on loopback as a hostile client would, and says whether it held up.

Usage:
  hostile.py run --mauth EXE [--only ATTACK]...
  hostile.py probe h2-bad-stream --port P --mauth EXE --identity-dir DIR
  hostile.py probe h2-zero-window --port P --mauth EXE --identity-dir DIR [--write-timeout S]
                                 [--streams N] [--body-kb KB]
  hostile.py probe h2-connection-window --port P --mauth EXE --identity-dir DIR --path PATH
                                 --server-pid PID [--write-timeout S] [--streams N] [--rss-limit-mb MB]

`run` starts a server of its own for each attack (`EXE serve` in a fresh temporary directory, so
that it creates its development identity in `<tmp>/.mauth/`, on a free port of 127.0.0.1, with
the options of SERVER_OPTIONS), attacks it, stops it, and prints one line per attack: PASS or
FAIL and what was observed, followed by the end of the server's log on a FAIL. The last line is
`N passed, M failed`; the exit status is 0 only when every attack passed.

`probe` runs one HTTP/2 probe against a server that is already listening on 127.0.0.1:P (the
Swift tests run them against an in-process server) and prints one JSON object of observations,
whose "passed" key is the verdict; the exit status is 0 when it passed, 1 when not. The identity
directory holds the signing identity: `development-app-uuid` naming `<uuid>.key`, or a single
`<uuid>.key`. EXE is only used to sign requests (`mauth sign`).

Every attack is bounded in connections, bytes and time, and talks to 127.0.0.1 only. Needs
Python 3.11 and the `h2` package.
"""

import argparse
import ctypes
import errno
import json
import os
import resource
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

HOST = "127.0.0.1"

# --- Server options -------------------------------------------------------------------------------

WRITE_TIMEOUT = 2  # seconds, for pipeline-flood and h2-zero-window
BODY_RATE_MINIMUM = 1024  # bytes/s, for slow-body
BODY_RATE_GRACE = 3  # seconds, for slow-body
SHUTDOWN_GRACE = 3  # seconds, for shutdown-grace
HEAD_TIMEOUT = 2  # seconds, for slow-next-head
SERVER_DESCRIPTOR_LIMIT = 1024  # RLIMIT_NOFILE of the descriptor-limit server

# Every server also gets --host 127.0.0.1 --port N --log-level warning.
SERVER_OPTIONS: dict[str, list[str]] = {
    "pipeline-flood": ["--write-timeout", str(WRITE_TIMEOUT)],
    "h2-bad-stream": [],
    "slow-body": [
        "--min-request-body-rate", str(BODY_RATE_MINIMUM),
        "--request-body-rate-grace-period", str(BODY_RATE_GRACE),
    ],
    # Long read deadlines, so that the idle connections stay while the server is at its limit.
    "descriptor-limit": ["--idle-timeout", "60", "--request-head-timeout", "60"],
    "shutdown-grace": [
        "--shutdown-grace-period", str(SHUTDOWN_GRACE),
        "--min-request-body-rate", "0", "--request-body-timeout", "600",
    ],
    "h2-zero-window": ["--write-timeout", str(WRITE_TIMEOUT), "--max-body-size", "2000000"],
    "connect": [],
    "host-header": [],
    "slow-next-head": ["--request-head-timeout", str(HEAD_TIMEOUT), "--idle-timeout", "60"],
}
# The servers that start under a lower RLIMIT_NOFILE.
SERVER_DESCRIPTOR_LIMITS = {"descriptor-limit": SERVER_DESCRIPTOR_LIMIT}

# --- Attack parameters ----------------------------------------------------------------------------

FLOOD_CONNECTIONS = 50
FLOOD_BYTES_PER_CONNECTION = 4_400_000
FLOOD_STALL = 2.0  # a connection stops sending once its socket has not taken data for this long
FLOOD_DURATION = 20.0
FLOOD_REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
FLOOD_RSS_GROWTH_LIMIT_MB = 200
# The server answers what the kernel's socket buffers take (several MB a connection) before its
# writes stall; only then does the write timeout start. This bounds both, in all.
FLOOD_CLOSE_LIMIT = 60.0  # seconds after the flood by which the server must have closed every connection

SLOW_BODY_CONNECTIONS = 500
SLOW_BODY_LENGTH = 1_000_000
SLOW_BODY_DRIP_INTERVAL = 5.0
SLOW_BODY_MARGIN = 10.0  # seconds after the grace period by which each must be answered

DESCRIPTOR_CONNECTIONS = 1_100
DESCRIPTOR_CONNECT_WAIT = 5.0  # for the connections the server's backlog takes
DESCRIPTOR_CPU_WINDOW = 3.0
DESCRIPTOR_CPU_LIMIT = 10.0  # percent of one core
DESCRIPTOR_RELEASED = 300
DESCRIPTOR_RECOVERY = 5.0

SHUTDOWN_BODY_LENGTH = 100_000
SHUTDOWN_SIGNAL_AFTER = 1.0
SHUTDOWN_MARGIN = 3.0

H2_BODY = b"hostile body; " * 80  # the signed POST /echo on stream 1 (1,120 bytes)
H2_RESET_WAIT = 3.0
H2_RESPONSE_WAIT = 5.0
H2_CLOSE_WAIT = 3.0

ZERO_WINDOW_STREAMS = 90
ZERO_WINDOW_BODY = bytes(1_000_000)
ZERO_WINDOW_UPLOAD_LIMIT = 60.0
ZERO_WINDOW_MARGIN = 10.0  # seconds after the write timeout by which each stream must be reset

CONNECTION_WINDOW_STREAMS = 8
CONNECTION_WINDOW_RSS_LIMIT_MB = 32
CONNECTION_WINDOW_MARGIN = 10.0  # seconds after the write timeout by which each stream must be reset
RSS_SAMPLE_INTERVAL = 0.1

RESPONSE_WAIT = 2.0  # for an HTTP/1.1 response, and for a close that should follow one
HEAD_TIMEOUT_MARGIN = 3.0

# --- Process plumbing -----------------------------------------------------------------------------

SERVER_START_LIMIT = 30.0  # a debug build generates its RSA key slowly
SERVER_STOP_GRACE = 5.0  # after SIGTERM, before SIGKILL
CONNECT_TIMEOUT = 2.0
SEND_TIMEOUT = 10.0
LOG_TAIL_LINES = 15
PR_SET_PDEATHSIG = 1
BYTES_PER_MB = 1024 * 1024
LIBC = ctypes.CDLL(None, use_errno=True)


class Result(NamedTuple):
    """One line of the report: an attack, its verdict, and what was observed."""

    name: str
    passed: bool
    observed: str


class ServerStartError(Exception):
    """The server exited, or did not answer, before the attack could begin."""


def monotonic() -> float:
    """Seconds on the monotonic clock."""
    return time.monotonic()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    """The resident set size of process `pid` in MB (VmRSS), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """The CPU time process `pid` has used, user plus system, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat(5); fields[0] is field 3 (the state).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_descriptors(pid: int) -> int:
    """How many file descriptors process `pid` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_descriptor_limit(needed: int) -> None:
    """Raises this process's RLIMIT_NOFILE soft limit (and the hard one if need be) to `needed`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        hard = needed
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def connect(port: int, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A blocking TCP connection to 127.0.0.1:`port`."""
    return socket.create_connection((HOST, port), timeout=timeout)


def is_closed_error(error: OSError) -> bool:
    """Whether `error` says the peer closed or reset the connection."""
    return error.errno in (errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED)


# --- Identity and signing -------------------------------------------------------------------------


@dataclass
class Identity:
    """An app identity whose public key the server trusts, and the mauth executable that signs."""

    mauth: str
    app_uuid: str
    key_file: str

    @classmethod
    def load(cls, mauth: str, directory: str) -> "Identity":
        """The identity in `directory`: the one `development-app-uuid` names, else the only key."""
        marker = os.path.join(directory, "development-app-uuid")
        if os.path.exists(marker):
            with open(marker) as file:
                app_uuid = file.read().strip()
        else:
            keys = [name for name in os.listdir(directory) if name.endswith(".key")]
            if len(keys) != 1:
                raise ValueError(f"{directory} holds no development-app-uuid and {len(keys)} .key files")
            app_uuid = keys[0].removesuffix(".key")
        return cls(mauth, app_uuid, os.path.join(directory, app_uuid + ".key"))

    def sign(self, method: str, url: str, body: bytes) -> list[tuple[str, str]]:
        """The MAuth V2 headers for a request, as (lower-case name, value) pairs."""
        with tempfile.NamedTemporaryFile(prefix="hostile-body-") as body_file:
            body_file.write(body)
            body_file.flush()
            output = subprocess.run(
                [self.mauth, "sign", "--protocol", "v2", "--private-key-file", self.key_file,
                 "--app-uuid", self.app_uuid, "--method", method, "--url", url,
                 "--body-file", body_file.name],
                check=True, capture_output=True, text=True, timeout=30,
            ).stdout
        headers = []
        for line in output.splitlines():
            name, _, value = line.partition(":")
            if value:
                headers.append((name.strip().lower(), value.strip()))
        if not headers:
            raise ValueError("mauth sign printed no headers")
        return headers


# --- The server under attack ----------------------------------------------------------------------


def die_with_parent() -> None:
    """In the child before exec: be killed if this script dies, so no server outlives it."""
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Server:
    """`mauth serve` in a working directory of its own, on a free port; a context manager that
    starts it, waits until it answers, and always stops it."""

    def __init__(self, mauth: str, workdir: str, options: list[str], descriptor_limit: int | None = None):
        self.mauth = mauth
        self.workdir = workdir
        self.options = options
        self.descriptor_limit = descriptor_limit
        self.port = free_port()
        self.log_path = os.path.join(workdir, "server.log")
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *_) -> None:
        self.stop()

    def _prepare_child(self) -> None:
        """In the child before exec: tie it to this script and apply the descriptor limit."""
        die_with_parent()
        if self.descriptor_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.descriptor_limit, self.descriptor_limit))

    def start(self) -> None:
        """Starts the server and waits until its port accepts connections."""
        command = [self.mauth, "serve", "--host", HOST, "--port", str(self.port),
                   "--log-level", "warning", *self.options]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=log, preexec_fn=self._prepare_child,
            )
        deadline = monotonic() + SERVER_START_LIMIT
        while monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(f"the server exited at start-up with status {self.process.returncode}")
            try:
                connect(self.port, timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise ServerStartError(f"the server did not answer within {SERVER_START_LIMIT:.0f} s")

    def identity(self) -> Identity:
        """The development identity the server created and trusts."""
        return Identity.load(self.mauth, os.path.join(self.workdir, ".mauth"))

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited after a few seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(SERVER_STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self) -> list[str]:
        """The last lines the server wrote to standard error."""
        try:
            with open(self.log_path, errors="replace") as log:
                return log.read().splitlines()[-LOG_TAIL_LINES:]
        except FileNotFoundError:
            return []


# --- HTTP/1.1 ---------------------------------------------------------------------------------------


class Response(NamedTuple):
    """A complete HTTP/1.1 response and how its body was framed."""

    status: int
    headers: dict[str, list[str]]
    body: bytes
    framing: str  # "content-length", "chunked", "none" (no body by status) or "close"


class HTTP1Connection:
    """A client connection that sends raw bytes and reads complete responses."""

    def __init__(self, port: int, timeout: float = CONNECT_TIMEOUT):
        self.sock = connect(port, timeout)
        self.buffer = bytearray()
        self.closed = False  # the server closed or reset the connection

    def send(self, data: bytes) -> None:
        """Sends `data` (blocking, at most SEND_TIMEOUT)."""
        self.sock.settimeout(SEND_TIMEOUT)
        self.sock.sendall(data)

    def close(self) -> None:
        """Closes the client's side."""
        self.sock.close()

    def _fill(self, deadline: float) -> bool:
        """Reads more into the buffer; False once the connection closed or time ran out."""
        remaining = deadline - monotonic()
        if self.closed or remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        except OSError as error:
            if not is_closed_error(error):
                raise
            data = b""
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    def _take(self, count: int, deadline: float) -> bytes | None:
        """The next `count` bytes, or None if they did not all arrive."""
        while len(self.buffer) < count:
            if not self._fill(deadline):
                return None
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def _take_line(self, deadline: float, terminator: bytes = b"\r\n") -> bytes | None:
        """The bytes up to `terminator` (which is dropped), or None if it did not arrive."""
        while (end := self.buffer.find(terminator)) < 0:
            if not self._fill(deadline):
                return None
        line = bytes(self.buffer[:end])
        del self.buffer[: end + len(terminator)]
        return line

    def _take_chunked(self, deadline: float) -> bytes | None:
        """A chunked body, trailers dropped, or None if it did not all arrive."""
        body = bytearray()
        while True:
            size_line = self._take_line(deadline)
            if size_line is None:
                return None
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunk = self._take(size + 2, deadline)
            if chunk is None:
                return None
            body += chunk[:size]
        while (trailer := self._take_line(deadline)) != b"":
            if trailer is None:
                return None
        return bytes(body)

    def read_response(self, timeout: float = RESPONSE_WAIT) -> Response | None:
        """The next complete response, or None if the connection closed or `timeout` passed
        before it was complete."""
        deadline = monotonic() + timeout
        head = self._take_line(deadline, b"\r\n\r\n")
        if head is None:
            return None
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, list[str]] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if status in (204, 304) or 100 <= status < 200:
            return Response(status, headers, b"", "none")
        if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            body = self._take_chunked(deadline)
            framing = "chunked"
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"][0]), deadline)
            framing = "content-length"
        else:
            while self._fill(deadline):
                pass
            body = bytes(self.buffer) if self.closed else None
            framing = "close"
        return None if body is None else Response(status, headers, body, framing)

    def wait_closed(self, timeout: float) -> float | None:
        """Seconds until the server closes or resets the connection (whatever it sends is
        dropped), or None if it is still open after `timeout`."""
        start = monotonic()
        deadline = start + timeout
        while self._fill(deadline):
            self.buffer.clear()
        return monotonic() - start if self.closed else None


FRAMING_TEXT = {
    "content-length": "framed by Content-Length",
    "chunked": "chunked",
    "none": "no body by its status",
    "close": "no Content-Length (delimited by the close)",
}


def describe(response: Response | None, connection: HTTP1Connection) -> str:
    """A response's status, or what happened instead, in a few words."""
    if response is not None:
        return str(response.status)
    return "closed without a response" if connection.closed else f"no response within {RESPONSE_WAIT:.0f} s"


def get_app_status(port: int, timeout: float) -> tuple[int | None, float]:
    """Status of `GET /app_status` on a new connection (None if none came within `timeout`), and
    the seconds it took."""
    start = monotonic()
    try:
        connection = HTTP1Connection(port, timeout)
    except OSError:
        return None, monotonic() - start
    try:
        connection.send(b"GET /app_status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = connection.read_response(max(0.0, timeout - (monotonic() - start)))
        return (response.status if response else None), monotonic() - start
    finally:
        connection.close()


# --- HTTP/2 -----------------------------------------------------------------------------------------


@dataclass
class H2Stream:
    """What the server did on one stream."""

    status: int | None = None
    body: bytearray = field(default_factory=bytearray)
    ended_at: float | None = None
    reset_code: str | None = None
    reset_at: float | None = None


def error_name(code: int) -> str:
    """An HTTP/2 error code's name, such as PROTOCOL_ERROR."""
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return f"0x{code:x}"


class GoAway(NamedTuple):
    """A GOAWAY frame the server sent."""

    last_stream_id: int
    error: str


FRAME_HEADER_SIZE = 9
FRAME_TYPE_DATA = 0x0
FRAME_TYPE_GOAWAY = 0x7


class H2Client:
    """An HTTP/2 connection with prior knowledge that sends what it is told, valid or not, and
    never sends WINDOW_UPDATE (so the server can send at most one window's worth of DATA)."""

    def __init__(self, port: int, settings: dict[int, int] | None = None):
        self.sock = connect(port)
        self.authority = f"{HOST}:{port}"
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
            split_outbound_cookies=False,
            validate_inbound_headers=False,
        )
        self.conn = h2.connection.H2Connection(config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.streams: dict[int, H2Stream] = {}
        self.goaways: list[GoAway] = []  # in the order they came
        self.violation: str | None = None  # what h2 found wrong in the server's frames
        self.closed_at: float | None = None  # when the server closed or reset the connection
        self.unscanned = bytearray()  # the start of a frame not yet complete
        self.reading = True  # whether h2's state machine still takes frames
        self.flush()

    def flush(self) -> None:
        """Sends what the state machine has queued."""
        data = self.conn.data_to_send()
        if data:
            self.send_raw(data)

    def send_raw(self, data: bytes) -> None:
        """Sends bytes as they are, bypassing the state machine."""
        self.sock.settimeout(SEND_TIMEOUT)
        self.sock.sendall(data)

    def request_headers(self, method: str, path: str) -> list[tuple[str, str]]:
        """The pseudo-header fields of a request."""
        return [(":method", method), (":scheme", "http"), (":authority", self.authority), (":path", path)]

    def send_headers(self, stream_id: int, headers: list[tuple[str, str]], end_stream: bool) -> None:
        """Sends a HEADERS frame with exactly these fields."""
        self.streams.setdefault(stream_id, H2Stream())
        encoded = [(name.encode(), value.encode()) for name, value in headers]
        self.conn.send_headers(stream_id, encoded, end_stream=end_stream)
        self.flush()

    def send_data(self, stream_id: int, data: bytes, end_stream: bool) -> None:
        """Sends DATA frames, no larger than the server allows (flow control is the caller's)."""
        size = self.conn.max_outbound_frame_size
        for offset in range(0, max(len(data), 1), size):
            last = offset + size >= len(data)
            self.conn.send_data(stream_id, data[offset: offset + size], end_stream=end_stream and last)
        self.flush()

    def poll(self, timeout: float) -> None:
        """Waits up to `timeout` for bytes from the server and takes in what they say."""
        if self.closed_at is not None:
            return
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(1 << 20)
        except TimeoutError:
            return
        except OSError as error:
            if not is_closed_error(error):
                raise
            data = b""
        if not data:
            self.closed_at = monotonic()
            return
        self._scan_goaways(data)
        if not self.reading:
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            # After a GOAWAY h2 refuses any frame; before one, the server broke the protocol.
            if not self.goaways:
                self.violation = f"{type(error).__name__}: {error}"
            self.reading = False
            return
        for event in events:
            self._take(event)
        self.flush()

    def _scan_goaways(self, data: bytes) -> None:
        """Records the GOAWAY frames in the server's bytes: h2 takes no frame after the first,
        and a server may lower last_stream_id in a later one (RFC 9113 §6.8)."""
        self.unscanned += data
        offset = 0
        while len(self.unscanned) - offset >= FRAME_HEADER_SIZE:
            end = offset + FRAME_HEADER_SIZE + int.from_bytes(self.unscanned[offset: offset + 3], "big")
            if len(self.unscanned) < end:
                break
            if self.unscanned[offset + 3] == FRAME_TYPE_GOAWAY:
                payload = offset + FRAME_HEADER_SIZE
                last_stream_id, code = struct.unpack(">II", self.unscanned[payload: payload + 8])
                self.goaways.append(GoAway(last_stream_id & 0x7FFF_FFFF, error_name(code)))
            offset = end
        del self.unscanned[:offset]

    def _take(self, event: h2.events.Event) -> None:
        """Records one event."""
        now = monotonic()
        if isinstance(event, h2.events.ResponseReceived):
            headers = dict(event.headers)
            self.streams[event.stream_id].status = int(headers[b":status"])
        elif isinstance(event, h2.events.DataReceived):
            self.streams[event.stream_id].body += event.data
        elif isinstance(event, h2.events.StreamEnded):
            self.streams[event.stream_id].ended_at = now
        elif isinstance(event, h2.events.StreamReset):
            stream = self.streams.setdefault(event.stream_id, H2Stream())
            stream.reset_code = error_name(event.error_code)
            stream.reset_at = now

    def pump(self, done: Callable[[], bool], timeout: float) -> bool:
        """Takes in what the server sends until `done()` or `timeout`; returns `done()`."""
        deadline = monotonic() + timeout
        while not done() and self.closed_at is None and monotonic() < deadline:
            self.poll(min(0.2, deadline - monotonic()))
        return done()

    def close(self) -> None:
        """Closes the client's side."""
        self.sock.close()


def echo_request(client: H2Client, identity: Identity, body: bytes) -> list[tuple[str, str]]:
    """The fields of a signed `POST /echo` with `body`."""
    return (client.request_headers("POST", "/echo")
            + [("content-type", "application/octet-stream"), ("content-length", str(len(body)))]
            + identity.sign("POST", "/echo", body))


BAD_STREAM_VARIANTS = ("upper-case-name", "connection-header", "duplicate-path", "short-content-length")


def send_bad_stream(client: H2Client, variant: str) -> None:
    """Opens stream 3 with the malformed request `variant`."""
    headers = client.request_headers("GET", "/app_status")
    if variant == "upper-case-name":
        client.send_headers(3, headers + [("X-Hostile", "1")], end_stream=True)
    elif variant == "connection-header":
        client.send_headers(3, headers + [("connection", "keep-alive")], end_stream=True)
    elif variant == "duplicate-path":
        client.send_headers(3, headers + [(":path", "/app_status")], end_stream=True)
    else:  # short-content-length: 10 announced, 3 sent
        headers = client.request_headers("POST", "/echo") + [("content-length", "10")]
        client.send_headers(3, headers, end_stream=False)
        client.send_data(3, b"abc", end_stream=True)


def bad_stream_case(port: int, identity: Identity, variant: str) -> dict:
    """Stream 1 (a signed POST /echo) half sent, a malformed stream 3, then the rest of stream 1:
    stream 3 must be reset with PROTOCOL_ERROR and stream 1 must still be answered."""
    client = H2Client(port)
    try:
        client.send_headers(1, echo_request(client, identity, H2_BODY), end_stream=False)
        half = len(H2_BODY) // 2
        client.send_data(1, H2_BODY[:half], end_stream=False)
        send_bad_stream(client, variant)
        bad, good = client.streams[3], client.streams[1]
        client.pump(lambda: bad.reset_code is not None or bad.ended_at is not None
                    or bool(client.goaways), H2_RESET_WAIT)
        if not client.goaways and client.closed_at is None and good.reset_code is None:
            client.send_data(1, H2_BODY[half:], end_stream=True)
            client.pump(lambda: good.ended_at is not None or good.reset_code is not None
                        or bool(client.goaways), H2_RESPONSE_WAIT)
        observed = {
            "variant": variant,
            "stream3_reset": bad.reset_code,
            "stream3_status": bad.status,
            "stream1_status": good.status,
            "stream1_complete": good.ended_at is not None,
            "stream1_echoed": good.ended_at is not None and bytes(good.body) == H2_BODY,
            "stream1_reset": good.reset_code,
            "goaway": client.goaways[0].error if client.goaways else None,
            "closed": client.closed_at is not None,
            "violation": client.violation,
        }
        observed["passed"] = (bad.reset_code == "PROTOCOL_ERROR" and good.status == 200
                              and observed["stream1_echoed"] and not client.goaways
                              and client.closed_at is None and client.violation is None)
        return observed
    finally:
        client.close()


def data_frame_on_stream_zero() -> bytes:
    """A DATA frame on stream 0: a connection error of type PROTOCOL_ERROR (RFC 9113 §6.1)."""
    payload = b"hostile"
    no_flags, stream_zero = 0x0, 0
    return (len(payload).to_bytes(3, "big") + bytes([FRAME_TYPE_DATA, no_flags])
            + stream_zero.to_bytes(4, "big") + payload)


def connection_error_case(port: int) -> dict:
    """A completed stream 1, then a DATA frame on stream 0: the server must answer GOAWAY with
    last_stream_id 1 and close the connection."""
    client = H2Client(port)
    try:
        client.send_headers(1, client.request_headers("GET", "/app_status"), end_stream=True)
        stream = client.streams[1]
        client.pump(lambda: stream.ended_at is not None or stream.reset_code is not None, H2_RESPONSE_WAIT)
        sent_at = monotonic()
        client.send_raw(data_frame_on_stream_zero())
        client.pump(lambda: client.closed_at is not None, H2_CLOSE_WAIT)
        final = client.goaways[-1] if client.goaways else None
        observed = {
            "case": "data-on-stream-0",
            "stream1_status": stream.status,
            "stream1_complete": stream.ended_at is not None,
            "goaways": [goaway._asdict() for goaway in client.goaways],
            "goaway_last_stream_id": final.last_stream_id if final else None,
            "goaway_error": final.error if final else None,
            "closed": client.closed_at is not None,
            "closed_after_seconds": round(client.closed_at - sent_at, 2) if client.closed_at else None,
        }
        observed["passed"] = (stream.status == 200 and observed["stream1_complete"]
                              and observed["goaway_last_stream_id"] == 1 and observed["closed"])
        return observed
    finally:
        client.close()


def probe_h2_bad_stream(port: int, identity: Identity) -> dict:
    """Malformed request heads on one stream must reset that stream only; a connection error
    must end the connection with GOAWAY. Observations of the four variants and the connection
    error, and the overall verdict."""
    variants = [bad_stream_case(port, identity, variant) for variant in BAD_STREAM_VARIANTS]
    connection_error = connection_error_case(port)
    return {
        "probe": "h2-bad-stream",
        "passed": all(v["passed"] for v in variants) and connection_error["passed"],
        "variants": variants,
        "connection_error": connection_error,
    }


def upload_zero_window_bodies(client: H2Client, stream_ids: list[int], body: bytes,
                              deadline: float) -> dict[int, float]:
    """Sends each stream's body as flow control allows; returns when each body was sent."""
    offsets = {stream_id: 0 for stream_id in stream_ids}  # how much of each body has been sent
    sent_at: dict[int, float] = {}
    while offsets and monotonic() < deadline and not client.goaways and client.closed_at is None:
        progressed = False
        for stream_id, offset in list(offsets.items()):
            if client.streams[stream_id].reset_code is not None:
                del offsets[stream_id]
                continue
            window = client.conn.local_flow_control_window(stream_id)
            if window <= 0:
                continue
            end = min(offset + window, len(body))
            client.send_data(stream_id, body[offset:end], end_stream=end == len(body))
            progressed = True
            if end < len(body):
                offsets[stream_id] = end
            else:
                del offsets[stream_id]
                sent_at[stream_id] = monotonic()
        client.poll(0 if progressed else 0.2)
    return sent_at


def probe_h2_zero_window(port: int, identity: Identity, write_timeout: float = WRITE_TIMEOUT,
                         stream_count: int = ZERO_WINDOW_STREAMS, body: bytes = ZERO_WINDOW_BODY) -> dict:
    """A client that lets the server send nothing (INITIAL_WINDOW_SIZE 0, no WINDOW_UPDATE) and
    uploads `body` (1 MB) to POST /echo on each of `stream_count` (90) streams: every stream must be
    reset within `write_timeout` + 10 s of its body being sent."""
    client = H2Client(port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    try:
        headers = echo_request(client, identity, body)
        stream_ids = [1 + 2 * index for index in range(stream_count)]
        for stream_id in stream_ids:
            client.send_headers(stream_id, headers, end_stream=False)
        sent_at = upload_zero_window_bodies(client, stream_ids, body, monotonic() + ZERO_WINDOW_UPLOAD_LIMIT)
        limit = write_timeout + ZERO_WINDOW_MARGIN
        streams = [client.streams[stream_id] for stream_id in stream_ids]
        if sent_at:
            wait = max(sent_at.values()) + limit - monotonic()
            client.pump(lambda: all(stream.reset_code is not None for stream in streams), wait)
        delays = [client.streams[sid].reset_at - at for sid, at in sent_at.items()
                  if client.streams[sid].reset_at is not None]
        codes = Counter(stream.reset_code for stream in streams if stream.reset_code is not None)
        observed = {
            "probe": "h2-zero-window",
            "streams": stream_count,
            "bodies_sent": len(sent_at),
            "responses": sum(stream.status is not None for stream in streams),
            "reset": sum(codes.values()),
            "reset_codes": dict(codes),
            "reset_before_body_sent": sum(stream.reset_code is not None for sid, stream in
                                          zip(stream_ids, streams) if sid not in sent_at),
            "longest_seconds": round(max(delays), 2) if delays else None,
            "goaway": client.goaways[0].error if client.goaways else None,
            "closed": client.closed_at is not None,
            "violation": client.violation,
        }
        # Every stream must have been answered (so the server had its whole body) and then reset.
        # Under a slow server a reset may arrive while this client is still busy uploading other
        # streams, before it noted that stream's body as sent; such a stream has no delay.
        observed["passed"] = (observed["responses"] == stream_count
                              and sum(codes.values()) == stream_count
                              and bool(delays) and max(delays) <= limit)
        return observed
    finally:
        client.close()


def probe_h2_connection_window(port: int, path: str, server_pid: int, write_timeout: float = WRITE_TIMEOUT,
                               stream_count: int = CONNECTION_WINDOW_STREAMS,
                               rss_limit_mb: float = CONNECTION_WINDOW_RSS_LIMIT_MB) -> dict:
    """A client that opens every stream's window as far as HTTP/2 allows but never the
    connection's, and asks `stream_count` (8) streams for `path`, a large streamed response: the
    server may send one connection window (64 KiB) in all, must not let what it cannot send pile
    up in its memory (RSS of `server_pid` at most `rss_limit_mb` above where it began), and must
    reset every stream within `write_timeout` + 10 s."""
    client = H2Client(port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
    try:
        rss_before = rss_mb(server_pid)
        stream_ids = [1 + 2 * index for index in range(stream_count)]
        for stream_id in stream_ids:
            client.send_headers(stream_id, client.request_headers("GET", path), end_stream=True)
        sent_at = monotonic()
        streams = [client.streams[stream_id] for stream_id in stream_ids]
        deadline = sent_at + write_timeout + CONNECTION_WINDOW_MARGIN
        rss_peak = rss_before
        while (not all(stream.reset_code is not None for stream in streams) and client.closed_at is None
               and monotonic() < deadline):
            client.poll(RSS_SAMPLE_INTERVAL)
            rss_peak = max(rss_peak, rss_mb(server_pid))
        resets = [stream.reset_at - sent_at for stream in streams if stream.reset_at is not None]
        received = sum(len(stream.body) for stream in streams)
        observed = {
            "probe": "h2-connection-window",
            "streams": stream_count,
            "responses": sum(stream.status is not None for stream in streams),
            "received_bytes": received,
            "reset": len(resets),
            "longest_seconds": round(max(resets), 2) if resets else None,
            "rss_growth_mb": round(rss_peak - rss_before, 1),
            "goaway": client.goaways[0].error if client.goaways else None,
            "closed": client.closed_at is not None,
            "violation": client.violation,
        }
        observed["passed"] = (observed["responses"] == stream_count and received <= 65_535
                              and len(resets) == stream_count and rss_peak - rss_before <= rss_limit_mb
                              and client.violation is None)
        return observed
    finally:
        client.close()


# --- Attacks ----------------------------------------------------------------------------------------


@dataclass
class FloodConnection:
    """One connection of the pipeline flood."""

    sock: socket.socket
    sent: int = 0
    offset: int = 0
    progress_at: float = 0.0
    closed: bool = False
    sending: bool = True


def flood_push(connection: FloodConnection, chunk: memoryview) -> None:
    """Sends as much of the flood as the socket takes now."""
    try:
        count = connection.sock.send(chunk[connection.offset:])
    except BlockingIOError:
        return
    except OSError as error:
        if not is_closed_error(error):
            raise
        connection.closed = True
        connection.sending = False
        return
    connection.sent += count
    connection.offset = (connection.offset + count) % len(chunk)
    connection.progress_at = monotonic()


def flood_closed_by_server(connection: FloodConnection) -> bool:
    """Whether the server has closed the connection, seen without reading (a read would let the
    server's writes progress): closing with the flood unread, the server resets it."""
    poller = select.poll()
    poller.register(connection.sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(0))


def send_flood(connections: list[FloodConnection], pid: int) -> float:
    """Pushes the flood into every connection until each has sent its share or stalled, or
    time is up; returns the server's peak RSS meanwhile."""
    chunk = memoryview(FLOOD_REQUEST * (65536 // len(FLOOD_REQUEST)))
    peak = rss_mb(pid)
    start = monotonic()
    with selectors.DefaultSelector() as selector:
        for connection in connections:
            selector.register(connection.sock, selectors.EVENT_WRITE, connection)
        while selector.get_map() and monotonic() - start < FLOOD_DURATION:
            for key, _ in selector.select(timeout=0.1):
                flood_push(key.data, chunk)
            now = monotonic()
            for connection in connections:
                stalled = now - connection.progress_at > FLOOD_STALL
                if connection.sending and (connection.closed or stalled
                                           or connection.sent >= FLOOD_BYTES_PER_CONNECTION):
                    connection.sending = False
                    selector.unregister(connection.sock)
            peak = max(peak, rss_mb(pid))
    return peak


def watch_flood_close(connections: list[FloodConnection], pid: int, flood_end: float) -> tuple[float, float, float]:
    """Watches, without reading, until the server has closed every connection or the limit has
    passed. Returns the server's peak RSS, its CPU % meanwhile, and when the last one closed
    (seconds after the flood)."""
    peak = rss_mb(pid)
    cpu_before, wait_start = cpu_seconds(pid), monotonic()
    last_closed = 0.0
    while monotonic() < flood_end + FLOOD_CLOSE_LIMIT and not all(c.closed for c in connections):
        time.sleep(0.1)
        peak = max(peak, rss_mb(pid))
        for connection in connections:
            if not connection.closed and flood_closed_by_server(connection):
                connection.closed = True
                last_closed = monotonic() - flood_end
    busy_cpu = 100 * (cpu_seconds(pid) - cpu_before) / max(monotonic() - wait_start, 0.1)
    return peak, busy_cpu, last_closed


def attack_pipeline_flood(server: Server) -> list[Result]:
    """50 connections pipeline `GET /` as fast as the server takes them and never read: memory
    must stay bounded, others must still be served, and the write timeout must close them."""
    rss_before = rss_mb(server.pid)
    start = monotonic()
    connections = []
    try:
        for _ in range(FLOOD_CONNECTIONS):
            sock = connect(server.port)
            sock.setblocking(False)
            connections.append(FloodConnection(sock, progress_at=start))
        peak = send_flood(connections, server.pid)
        flood_end = monotonic()
        status, seconds = get_app_status(server.port, RESPONSE_WAIT)
        later_peak, busy_cpu, last_closed = watch_flood_close(connections, server.pid, flood_end)
    finally:
        for connection in connections:
            connection.sock.close()
    sent_mb = sum(c.sent for c in connections) / BYTES_PER_MB
    closed = sum(c.closed for c in connections)
    growth = max(peak, later_peak) - rss_before
    passed = growth < FLOOD_RSS_GROWTH_LIMIT_MB and status == 200 and closed == FLOOD_CONNECTIONS
    return [Result("pipeline-flood", passed,
                   f"sent {sent_mb:.1f} MB on {FLOOD_CONNECTIONS} connections in {flood_end - start:.1f} s; "
                   f"RSS {rss_before:.0f} MB before, {rss_before + growth:.0f} MB peak (+{growth:.0f} MB, "
                   f"limit {FLOOD_RSS_GROWTH_LIMIT_MB}); fresh GET /app_status: {status or 'no answer'} in "
                   f"{seconds:.2f} s; closed by the server (write timeout {WRITE_TIMEOUT} s, once its socket buffers "
                   f"were full): {closed}/{FLOOD_CONNECTIONS}, the last {last_closed:.1f} s after the flood "
                   f"(limit {FLOOD_CLOSE_LIMIT:.0f}); server CPU {busy_cpu:.0f} % of a core until then")]


def violation_text(observed: dict) -> str:
    """The protocol violation h2 found in the server's frames, if any, for a report line."""
    return f"; the server broke the protocol: {observed['violation']}" if observed["violation"] else ""


def attack_h2_bad_stream(server: Server) -> list[Result]:
    """The h2-bad-stream probe, one line per case."""
    observed = probe_h2_bad_stream(server.port, server.identity())
    results = []
    for case in observed["variants"]:
        results.append(Result(
            f"h2-bad-stream/{case['variant']}", case["passed"],
            f"stream 3: {'RST_STREAM ' + case['stream3_reset'] if case['stream3_reset'] else 'not reset'}"
            f"{', status ' + str(case['stream3_status']) if case['stream3_status'] else ''}; "
            f"stream 1: status {case['stream1_status']}, "
            f"{'body echoed' if case['stream1_echoed'] else 'body not echoed'}"
            f"{', reset ' + case['stream1_reset'] if case['stream1_reset'] else ''}; "
            f"GOAWAY: {case['goaway'] or 'none'}; connection {'closed' if case['closed'] else 'open'}"
            + violation_text(case)))
    case = observed["connection_error"]
    goaways = ", then ".join(f"GOAWAY {g['error']} last_stream_id {g['last_stream_id']}" for g in case["goaways"])
    results.append(Result(
        "h2-bad-stream/connection-error", case["passed"],
        f"DATA on stream 0 after stream 1 answered {case['stream1_status']}: {goaways or 'no GOAWAY'}; "
        + (f"closed after {case['closed_after_seconds']} s" if case["closed"] else "connection still open")))
    return results


@dataclass
class SlowUpload:
    """One connection of the slow-body attack."""

    sock: socket.socket
    started_at: float
    received: bytes = b""
    status: int | None = None
    closed: bool = False
    ended_at: float | None = None


def slow_upload_read(upload: SlowUpload) -> None:
    """Takes in what the server sent: the status line of its response, or the end."""
    try:
        data = upload.sock.recv(4096)
    except BlockingIOError:
        return
    except OSError as error:
        if not is_closed_error(error):
            raise
        data = b""
    if data:
        upload.received += data
        if b"\r\n" in upload.received:
            upload.status = int(upload.received.split(b"\r\n")[0].split()[1])
    else:
        upload.closed = True
    if upload.status is not None or upload.closed:
        upload.ended_at = monotonic()


def slow_upload_drip(upload: SlowUpload) -> None:
    """Sends one more byte of the body."""
    try:
        upload.sock.send(b"x")
    except BlockingIOError:
        pass
    except OSError as error:
        if not is_closed_error(error):
            raise
        upload.closed = True
        upload.ended_at = monotonic()


def attack_slow_body(server: Server) -> list[Result]:
    """500 uploads of one byte every 5 s: each must get a 408 (or be closed) soon after the
    body-rate grace period."""
    raise_descriptor_limit(SLOW_BODY_CONNECTIONS + 100)
    head = (f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {SLOW_BODY_LENGTH}\r\n\r\nx").encode()
    uploads = []
    selector = selectors.DefaultSelector()
    try:
        for _ in range(SLOW_BODY_CONNECTIONS):
            sock = connect(server.port)
            sock.sendall(head)
            sock.setblocking(False)
            upload = SlowUpload(sock, monotonic())
            uploads.append(upload)
            selector.register(sock, selectors.EVENT_READ, upload)
        limit = BODY_RATE_GRACE + SLOW_BODY_MARGIN
        deadline = uploads[-1].started_at + limit
        next_drip = monotonic() + SLOW_BODY_DRIP_INTERVAL
        while monotonic() < deadline and selector.get_map():
            for key, _ in selector.select(timeout=max(0.0, min(next_drip, deadline) - monotonic())):
                slow_upload_read(key.data)
                if key.data.ended_at is not None:
                    selector.unregister(key.fileobj)
            if monotonic() >= next_drip:
                for upload in uploads:
                    if upload.ended_at is None:
                        slow_upload_drip(upload)
                next_drip += SLOW_BODY_DRIP_INTERVAL
    finally:
        selector.close()
        for upload in uploads:
            upload.sock.close()
    answered_408 = sum(u.status == 408 for u in uploads)
    other = sum(u.status not in (None, 408) for u in uploads)
    closed = sum(u.status is None and u.closed for u in uploads)
    ended = [u.ended_at - u.started_at for u in uploads if u.ended_at is not None]
    open_count = len(uploads) - len(ended)
    passed = answered_408 + closed == SLOW_BODY_CONNECTIONS and max(ended, default=0) <= limit
    return [Result("slow-body", passed,
                   f"{len(uploads)} uploads at 1 byte/{SLOW_BODY_DRIP_INTERVAL:.0f} s: {answered_408} got 408, "
                   f"{closed} closed without an answer, {other} other answers, {open_count} still open after "
                   f"{limit:.0f} s; slowest ended after {max(ended, default=0):.1f} s")]


def open_connections(port: int, count: int, wait: float) -> tuple[list[socket.socket], int]:
    """`count` connections opened at once; returns the sockets and how many completed within
    `wait` (the others are still in progress, beyond the server's backlog)."""
    selector = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex((HOST, port))
        socks.append(sock)
        selector.register(sock, selectors.EVENT_WRITE)
    connected = 0
    deadline = monotonic() + wait
    while selector.get_map() and monotonic() < deadline:
        for key, _ in selector.select(timeout=deadline - monotonic()):
            selector.unregister(key.fileobj)
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
    selector.close()
    return socks, connected


def attack_descriptor_limit(server: Server) -> list[Result]:
    """1,100 idle connections to a server limited to 1,024 descriptors: it must not spin at its
    limit, and must serve again once connections go away."""
    raise_descriptor_limit(DESCRIPTOR_CONNECTIONS + 100)
    socks, connected = open_connections(server.port, DESCRIPTOR_CONNECTIONS, DESCRIPTOR_CONNECT_WAIT)
    try:
        cpu_before, start = cpu_seconds(server.pid), monotonic()
        time.sleep(DESCRIPTOR_CPU_WINDOW)
        cpu = 100 * (cpu_seconds(server.pid) - cpu_before) / (monotonic() - start)
        descriptors = open_descriptors(server.pid)
        for sock in socks[:DESCRIPTOR_RELEASED]:
            sock.close()
        status, seconds = get_app_status(server.port, DESCRIPTOR_RECOVERY)
    finally:
        for sock in socks:
            sock.close()
    passed = cpu < DESCRIPTOR_CPU_LIMIT and status == 200
    return [Result("descriptor-limit", passed,
                   f"server RLIMIT_NOFILE {SERVER_DESCRIPTOR_LIMIT}; {connected}/{DESCRIPTOR_CONNECTIONS} "
                   f"connections established; server holds {descriptors} descriptors, CPU {cpu:.1f} % "
                   f"of a core over {DESCRIPTOR_CPU_WINDOW:.0f} s (limit {DESCRIPTOR_CPU_LIMIT:.0f} %); "
                   f"after closing {DESCRIPTOR_RELEASED}, GET /app_status: "
                   f"{status or 'no answer'} in {seconds:.2f} s")]


def attack_shutdown_grace(server: Server) -> list[Result]:
    """SIGTERM while an upload drips one byte a second: the server must exit 0 within the
    shutdown grace period (plus a margin), not wait for the upload."""
    connection = HTTP1Connection(server.port)
    try:
        head = f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {SHUTDOWN_BODY_LENGTH}\r\n\r\n"
        connection.send(head.encode() + b"x")
        time.sleep(SHUTDOWN_SIGNAL_AFTER)
        signalled_at = monotonic()
        server.process.send_signal(signal.SIGTERM)
        limit = SHUTDOWN_GRACE + SHUTDOWN_MARGIN
        next_drip = signalled_at
        while server.process.poll() is None and monotonic() - signalled_at < limit:
            if monotonic() >= next_drip:
                try:
                    connection.send(b"x")
                except OSError as error:
                    if not is_closed_error(error):
                        raise
                next_drip += 1
            time.sleep(0.05)
        status = server.process.poll()
        seconds = monotonic() - signalled_at
    finally:
        connection.close()
    passed = status == 0
    outcome = f"exited with status {status}" if status is not None else "still running"
    return [Result("shutdown-grace", passed,
                   f"SIGTERM {SHUTDOWN_SIGNAL_AFTER:.0f} s into an upload dripping 1 byte/s: {outcome} after "
                   f"{seconds:.1f} s (limit {limit:.0f} s)")]


def attack_h2_zero_window(server: Server) -> list[Result]:
    """The h2-zero-window probe, as one line."""
    observed = probe_h2_zero_window(server.port, server.identity())
    codes = ", ".join(f"{count} {code}" for code, count in observed["reset_codes"].items()) or "none"
    longest = observed["longest_seconds"]
    return [Result("h2-zero-window", observed["passed"],
                   f"{observed['bodies_sent']}/{observed['streams']} bodies of {len(ZERO_WINDOW_BODY) // 1000} kB "
                   f"sent; {observed['responses']} response heads; reset {observed['reset']} ({codes}); longest "
                   f"body-to-reset {'-' if longest is None else f'{longest:.1f} s'} (limit "
                   f"{WRITE_TIMEOUT + ZERO_WINDOW_MARGIN:.0f} s); GOAWAY: {observed['goaway'] or 'none'}"
                   + violation_text(observed))]


def attack_connect(server: Server) -> list[Result]:
    """CONNECT must get a complete refusal and a close; `OPTIONS *` a complete answer.

    A response to CONNECT may be delimited by the close (RFC 9112 §6.3: only a 2xx opens a tunnel),
    and NIO's HTTP/1 encoder frames every CONNECT response without a body, so the close that must
    follow at once is what completes it."""
    connection = HTTP1Connection(server.port)
    try:
        connection.send(b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n")
        response = connection.read_response()
        closed_after = connection.wait_closed(RESPONSE_WAIT) if response else None
    finally:
        connection.close()
    connect_ok = (response is not None and response.framing in ("content-length", "close") and closed_after is not None
                  and (response.status == 400 or (response.status == 405 and "allow" in response.headers)))
    connect_text = describe(response, connection)
    if response is not None:
        allow = response.headers.get("allow")
        connect_text += (f"{' Allow: ' + allow[0] if allow else ' (no Allow)'}, {FRAMING_TEXT[response.framing]}, "
                         + (f"closed after {closed_after:.2f} s" if closed_after is not None else "not closed"))
    connection = HTTP1Connection(server.port)
    try:
        connection.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        options = connection.read_response()
    finally:
        connection.close()
    options_ok = options is not None and options.status < 500 and options.framing != "close"
    options_text = describe(options, connection) + (f", {FRAMING_TEXT[options.framing]}" if options else "")
    return [Result("connect", connect_ok and options_ok, f"CONNECT: {connect_text}; OPTIONS *: {options_text}")]


def status_of(port: int, request: bytes) -> str:
    """The status of the response to `request` on a new connection, or what happened instead."""
    connection = HTTP1Connection(port)
    try:
        connection.send(request)
        return describe(connection.read_response(), connection)
    finally:
        connection.close()


def attack_host_header(server: Server) -> list[Result]:
    """HTTP/1.1 needs exactly one Host; HTTP/1.0 needs none."""
    missing = status_of(server.port, b"GET /app_status HTTP/1.1\r\n\r\n")
    twice = status_of(server.port, b"GET /app_status HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")
    http10 = status_of(server.port, b"GET /app_status HTTP/1.0\r\n\r\n")
    passed = (missing, twice, http10) == ("400", "400", "200")
    return [Result("host-header", passed,
                   f"HTTP/1.1 without Host: {missing}; Host twice: {twice}; HTTP/1.0 without Host: {http10}")]


def attack_slow_next_head(server: Server) -> list[Result]:
    """After one answered request, the start of a second head and nothing more: the head
    timeout, not the idle timeout, must close the connection."""
    connection = HTTP1Connection(server.port)
    try:
        connection.send(b"GET /app_status HTTP/1.1\r\nHost: x\r\n\r\n")
        first = connection.read_response()
        closed_after = None
        if first is not None:
            connection.send(b"GET /app_status HTTP/1.1\r\n")
            closed_after = connection.wait_closed(HEAD_TIMEOUT + HEAD_TIMEOUT_MARGIN)
    finally:
        connection.close()
    limit = HEAD_TIMEOUT + HEAD_TIMEOUT_MARGIN
    passed = first is not None and first.status == 200 and closed_after is not None
    closing = f"closed after {closed_after:.1f} s" if closed_after is not None else f"open after {limit:.0f} s"
    return [Result("slow-next-head", passed,
                   f"first request: {describe(first, connection)}; partial second head: {closing} "
                   f"(head timeout {HEAD_TIMEOUT} s, limit {limit:.0f} s)")]


ATTACKS: dict[str, Callable[[Server], list[Result]]] = {
    "pipeline-flood": attack_pipeline_flood,
    "h2-bad-stream": attack_h2_bad_stream,
    "slow-body": attack_slow_body,
    "descriptor-limit": attack_descriptor_limit,
    "shutdown-grace": attack_shutdown_grace,
    "h2-zero-window": attack_h2_zero_window,
    "connect": attack_connect,
    "host-header": attack_host_header,
    "slow-next-head": attack_slow_next_head,
}


def run_attack(name: str, mauth: str) -> list[Result]:
    """Runs one attack against a server of its own and prints its lines (and, on a FAIL, the
    end of the server's log)."""
    with tempfile.TemporaryDirectory(prefix=f"hostile-{name}-") as workdir:
        server = Server(mauth, workdir, SERVER_OPTIONS[name], SERVER_DESCRIPTOR_LIMITS.get(name))
        try:
            with server:
                results = ATTACKS[name](server)
        except ServerStartError as error:
            results = [Result(name, False, str(error))]
        except Exception as error:  # a broken attack is reported as a FAIL, and the run goes on
            results = [Result(name, False, f"the attack failed: {type(error).__name__}: {error}")]
        for result in results:
            print(f"{'PASS' if result.passed else 'FAIL'} {result.name}: {result.observed}", flush=True)
        if not all(result.passed for result in results):
            for line in server.log_tail():
                print(f"    | {line}")
    return results


def run(mauth: str, only: list[str]) -> int:
    """Runs the attacks (all, or those in `only`); returns the exit status."""
    results = []
    for name in only or ATTACKS:
        results += run_attack(name, mauth)
    passed = sum(result.passed for result in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


PROBES = ("h2-bad-stream", "h2-zero-window", "h2-connection-window")


def probe(name: str, port: int, mauth: str, identity_dir: str, arguments: argparse.Namespace) -> int:
    """Runs one probe against a server already listening; prints its JSON; returns the exit status."""
    identity = Identity.load(mauth, identity_dir)
    write_timeout = arguments.write_timeout
    if name == "h2-connection-window":
        if arguments.path is None or arguments.server_pid is None:
            raise SystemExit("h2-connection-window needs --path and --server-pid")
        observed = probe_h2_connection_window(port, arguments.path, arguments.server_pid, write_timeout,
                                              arguments.streams or CONNECTION_WINDOW_STREAMS,
                                              arguments.rss_limit_mb)
    elif name == "h2-zero-window":
        streams = arguments.streams or ZERO_WINDOW_STREAMS
        body_kb = arguments.body_kb
        observed = probe_h2_zero_window(port, identity, write_timeout, streams, bytes(body_kb * 1000))
    else:
        observed = probe_h2_bad_stream(port, identity)
    print(json.dumps(observed))
    return 0 if observed["passed"] else 1


def exit_on_sigterm(signum: int, _frame) -> None:
    """Turns SIGTERM into SystemExit, so that servers are stopped and temporary files removed."""
    sys.exit(128 + signum)


def main() -> int:
    """Parses the command line and runs what it asks for."""
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start servers and run the attacks")
    run_parser.add_argument("--mauth", required=True, help="the mauth executable")
    run_parser.add_argument("--only", action="append", choices=list(ATTACKS), default=[],
                            help="run this attack only; repeatable")
    probe_parser = commands.add_parser("probe", help="run one HTTP/2 probe against a running server")
    probe_parser.add_argument("name", choices=PROBES)
    probe_parser.add_argument("--port", type=int, required=True)
    probe_parser.add_argument("--mauth", required=True, help="the mauth executable, for signing")
    probe_parser.add_argument("--identity-dir", required=True, help="where the signing identity is")
    probe_parser.add_argument("--write-timeout", type=float, default=WRITE_TIMEOUT,
                              help="the server's write timeout, for h2-zero-window (default %(default)s)")
    probe_parser.add_argument("--streams", type=int,
                              help=f"how many streams to open (default {ZERO_WINDOW_STREAMS} for h2-zero-window, "
                                   f"{CONNECTION_WINDOW_STREAMS} for h2-connection-window)")
    probe_parser.add_argument("--body-kb", type=int, default=len(ZERO_WINDOW_BODY) // 1000,
                              help="each h2-zero-window body, in kB (default %(default)s)")
    probe_parser.add_argument("--path", help="the large streamed response h2-connection-window asks for")
    probe_parser.add_argument("--server-pid", type=int, help="the server process, whose memory is watched")
    probe_parser.add_argument("--rss-limit-mb", type=float, default=CONNECTION_WINDOW_RSS_LIMIT_MB,
                              help="how far the server's RSS may grow in h2-connection-window "
                                   "(default %(default)s)")
    arguments = parser.parse_args()
    mauth = os.path.abspath(arguments.mauth)
    if arguments.command == "run":
        return run(mauth, arguments.only)
    return probe(arguments.name, arguments.port, mauth, arguments.identity_dir, arguments)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers have been stopped on the way out
        sys.exit(128 + signal.SIGINT)
