#!/usr/bin/env python3
"""Serve a tiny app behind the Python reference client's MAuth middleware, for interop tests.

Usage:  python3 python_server.py wsgi|asgi

``wsgi`` serves with the standard library's wsgiref behind ``MAuthWSGIMiddleware``; ``asgi`` serves
with uvicorn behind ``MAuthASGIMiddleware``. The middlewares read their configuration from the
environment (``APP_UUID``, ``PRIVATE_KEY``, ``MAUTH_URL``, ``MAUTH_API_VERSION``) and fetch public
keys from that MAuth service. The server prints ``listening on http://127.0.0.1:PORT`` once it has
a port.

Routes: ``GET /`` answers ``{"app_uuid": ..., "protocol_version": ...}`` for the authenticated
caller, ``POST /echo`` answers the request body, ``GET /app_status`` is exempt.
"""

import json
import signal
import socket
import sys


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answer(path, app_uuid, protocol_version, body):
    """Status line, content type and body bytes for a request the middleware let through."""
    if path == "/app_status":
        return "200 OK", "text/plain", b"this route is exempt from authentication"
    if path == "/echo":
        return "200 OK", "application/octet-stream", body
    if path == "/":
        document = {"app_uuid": app_uuid, "protocol_version": protocol_version}
        return "200 OK", "application/json", json.dumps(document).encode()
    return "404 Not Found", "text/plain", b"not found"


def serve_wsgi():
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from mauth_client.consts import ENV_APP_UUID, ENV_PROTOCOL_VERSION
    from mauth_client.middlewares import MAuthWSGIMiddleware

    def app(environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        status, content_type, payload = answer(
            environ.get("PATH_INFO", ""), environ.get(ENV_APP_UUID), environ.get(ENV_PROTOCOL_VERSION), body)
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
        return [payload]

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, MAuthWSGIMiddleware(app, exempt={"/app_status"}),
                         handler_class=QuietHandler)
    print("listening on http://127.0.0.1:{}".format(server.server_port), flush=True)
    server.serve_forever()


def serve_asgi():
    import uvicorn

    from mauth_client.consts import ENV_APP_UUID, ENV_PROTOCOL_VERSION
    from mauth_client.middlewares import MAuthASGIMiddleware

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        state = scope.get("state", {})
        status, content_type, payload = answer(
            scope["path"], state.get(ENV_APP_UUID, scope.get(ENV_APP_UUID)),
            state.get(ENV_PROTOCOL_VERSION, scope.get(ENV_PROTOCOL_VERSION)), body)
        await send({"type": "http.response.start", "status": int(status.split()[0]),
                    "headers": [(b"content-type", content_type.encode())]})
        await send({"type": "http.response.body", "body": payload})

    port = free_port()
    print("listening on http://127.0.0.1:{}".format(port), flush=True)
    uvicorn.run(MAuthASGIMiddleware(app, exempt={"/app_status"}), host="127.0.0.1", port=port,
                log_level="warning", lifespan="off")


if __name__ == "__main__":
    # A child inherits the signal mask of the thread that started it, and the Swift test runner's
    # threads block SIGTERM; unblocked, SIGTERM stops this server at once.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    modes = {"wsgi": serve_wsgi, "asgi": serve_asgi}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.stderr.write("usage: python_server.py wsgi|asgi\n")
        sys.exit(2)
    try:
        modes[sys.argv[1]]()
    except ImportError as error:
        sys.stderr.write("python_server.py: cannot import {}; install mauth-client and uvicorn\n".format(error))
        sys.exit(2)
