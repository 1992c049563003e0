#!/usr/bin/env python3
"""A service behind `mauth gate`, in another language than the gate: it trusts the identity
header fields the gate adds and answers what it received, for the gate's tests.

Usage:  python3 identity_app.py LOG_FILE

Serves with uvicorn on a free loopback port and prints ``listening on http://127.0.0.1:PORT``
once it has one. Every request, whatever its method and path, is answered 200 with JSON:

    {"method": str, "target": str (raw path and query, as received),
     "app_uuid": str | null, "protocol_version": str | null (the identity fields, read as
     CGI and WSGI read them: HTTP_X_MAUTH_APP_UUID, '-' and '_' alike, repeated values joined),
     "body_length": int, "body_sha256": str, "mauth_headers": [str, ...] (names of MAuth fields)}

and its method and target are appended as one line to LOG_FILE, so a test can tell which
requests reached the service.
"""

import hashlib
import json
import signal
import socket
import sys


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(log_path):
    import uvicorn

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {}
        # As CGI, Rack and WSGI see the fields: '-' and '_' alike, repeated values joined.
        environ = {}
        for name, value in scope["headers"]:
            name, value = name.decode("latin-1").lower(), value.decode("latin-1")
            headers.setdefault(name, value)
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = environ[key] + "," + value if key in environ else value
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        with open(log_path, "a", encoding="latin-1") as log:
            log.write("{} {}\n".format(scope["method"], target))
        document = {
            "method": scope["method"],
            "target": target,
            "app_uuid": environ.get("HTTP_X_MAUTH_APP_UUID"),
            "protocol_version": environ.get("HTTP_X_MAUTH_PROTOCOL_VERSION"),
            "body_length": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "mauth_headers": sorted(name for name in headers
                                    if name in ("mcc-authentication", "mcc-time", "x-mws-authentication",
                                                "x-mws-time")),
        }
        payload = json.dumps(document).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    port = free_port()
    print("listening on http://127.0.0.1:{}".format(port), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    # The Swift test runner's threads block SIGTERM, and a child inherits the mask.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    if len(sys.argv) != 2:
        sys.stderr.write("usage: identity_app.py LOG_FILE\n")
        sys.exit(2)
    try:
        main(sys.argv[1])
    except ImportError as error:
        sys.stderr.write("identity_app.py: cannot import {}; install uvicorn\n".format(error))
        sys.exit(2)
