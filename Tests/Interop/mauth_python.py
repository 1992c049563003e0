#!/usr/bin/env python3
"""Drive the Python reference MAuth client (PyPI package ``mauth-client``) for interop tests.

The Swift tests use this script to check that swift-mauth and the real Python implementation
accept each other's signatures. It runs the package's own code; only the clock and the public-key
lookup are substituted.

Setup (Python 3.9+):  python3 -m venv VENV && VENV/bin/pip install mauth-client requests

Usage:  python3 mauth_python.py sign|verify|send|lambda < request.json > result.json

Mode ``sign`` -- sign requests with ``mauth_client.requests_mauth.MAuth`` (its ``Signer`` and
``RequestSignable``), with ``time.time()`` frozen at ``time`` inside ``mauth_client.signer``:

    in:  {"app_uuid": str, "private_key_pem": str, "sign_versions": "v1" | "v2" | "v1,v2",
          "time": int,
          "requests": [{"method": str, "url": str, "body_base64": str}, ...]}
    out: {"results": [{"headers": {name: value, ...}}, ...]}

    A request the package refuses to sign gives {"headers": null, "error": str} instead.

Mode ``verify`` -- authenticate requests with ``mauth_client.authenticator.LocalAuthenticator``
(the class behind the WSGI/ASGI middlewares and the Lambda authenticator in local mode), with the
authenticator's clock frozen at ``time``, ``V2_ONLY_AUTHENTICATE`` set from ``v2_only``, and the
MAuth-service key fetch replaced by one that returns ``public_key_pem`` for every app UUID:

    in:  {"public_key_pem": str, "time": int, "v2_only": bool,
          "requests": [{"method": str, "url": str, "body_base64": str,
                        "headers": {name: value, ...}}, ...]}
    out: {"results": [{"authentic": bool, "status": int, "message": str}, ...]}

    An exception the package lets escape (which a server would turn into an error response) is
    reported as status 500 with the message "uncaught <ExceptionType>: <text>".

Mode ``send`` -- send real HTTP requests with ``requests`` and the package's ``MAuth`` auth
object, signing with the real clock:

    in:  {"base_url": str, "app_uuid": str, "private_key_pem": str, "sign_versions": str,
          "requests": [{"method": str, "url": str, "body_base64": str}, ...]}
    out: {"results": [{"status": int, "body": str, "sent_target": str}, ...]}

    ``sent_target`` is the path and query ``requests`` put on the wire, which it may have
    re-quoted.

Mode ``lambda`` -- authenticate requests with the package's ``LambdaAuthenticator``, configured
only by the environment (``MAUTH_URL``, ``MAUTH_MODE``, ``APP_UUID``, ``PRIVATE_KEY``), against a
real MAuth service with the real clock: nothing is substituted.

    in:  {"requests": [{"method": str, "url": str, "body_base64": str,
                        "headers": {name: value, ...}}, ...]}
    out: {"results": [{"authentic": bool, "status": int, "message": str}, ...]}

``url`` is the request target as sent on the wire: raw path plus optional ``?query``, no host.
It is handed to the package as ``http://localhost`` + url, so that ``urlparse`` sees exactly that
path and query (a bare path starting with ``//`` would be read as a host name).

Errors (mauth_client missing, malformed input) go to stderr as one line; the exit status is 2.
"""

import base64
import binascii
import datetime
import json
import logging
import sys
from types import SimpleNamespace
from unittest import mock


def fail(message):
    """Print a one-line error to stderr and exit with status 2."""
    sys.stderr.write("mauth_python.py: {}\n".format(message))
    sys.exit(2)


try:
    import mauth_client
    from mauth_client import authenticator as authenticator_module
    from mauth_client import signer as signer_module
    from mauth_client.authenticator import LocalAuthenticator
    from mauth_client.config import Config
    from mauth_client.exceptions import UnableToSignError
    from mauth_client.key_holder import KeyHolder
    from mauth_client.requests_mauth import MAuth
    from mauth_client.signable import RequestSignable
    from mauth_client.signed import Signed
except ImportError as import_error:
    fail("cannot import mauth_client ({}); install it with: pip install mauth-client requests"
         .format(import_error))

DUMMY_ORIGIN = "http://localhost"


class InputError(Exception):
    """The JSON document on stdin does not have the documented shape."""


def field(obj, name, kind, where):
    """Return obj[name], insisting that it exists and is of the given type."""
    if not isinstance(obj, dict) or name not in obj:
        raise InputError("{}: missing field '{}'".format(where, name))
    value = obj[name]
    # bool is a subclass of int: do not accept true/false where a number is expected.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError("{}: field '{}' must be of type {}".format(where, name, kind.__name__))
    return value


def request_fields(request, where):
    """Method, full URL and body bytes of one input request."""
    method = field(request, "method", str, where)
    url = field(request, "url", str, where)
    try:
        body = base64.b64decode(field(request, "body_base64", str, where), validate=True)
    except binascii.Error as error:
        raise InputError("{}: body_base64 is not valid Base64 ({})".format(where, error))
    return method, DUMMY_ORIGIN + url, body


def sign(doc):
    signing_time = field(doc, "time", int, "input")
    auth = MAuth(
        field(doc, "app_uuid", str, "input"),
        field(doc, "private_key_pem", str, "input"),
        field(doc, "sign_versions", str, "input"),
    )
    frozen_time = SimpleNamespace(time=lambda: float(signing_time))
    results = []
    with mock.patch.object(signer_module, "time", frozen_time):
        for index, request in enumerate(field(doc, "requests", list, "input")):
            method, url, body = request_fields(request, "requests[{}]".format(index))
            # MAuth.make_headers only reads .method, .url and .body of a requests.PreparedRequest.
            # A stand-in object keeps requests/urllib3 from rewriting the URL (urllib3 removes
            # dot segments), so the package signs exactly the given target.
            prepared = SimpleNamespace(method=method, url=url, body=body)
            try:
                results.append({"headers": auth.make_headers(prepared)})
            except UnableToSignError as error:
                results.append({"headers": None, "error": str(error)})
    return {"results": results}


def frozen_datetime_module(now_seconds):
    """A stand-in for the datetime module whose datetime.now() always returns now_seconds."""

    class FrozenDateTime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(now_seconds, tz)

    return SimpleNamespace(datetime=FrozenDateTime, timedelta=datetime.timedelta)


def verify(doc):
    public_key_pem = field(doc, "public_key_pem", str, "input")
    now_seconds = field(doc, "time", int, "input")
    v2_only = field(doc, "v2_only", bool, "input")

    def fetch_key(cls, app_uuid):
        # Replaces the HTTP GET to the MAuth service: (public_key_str, Cache-Control header).
        return public_key_pem, None

    logger = logging.getLogger("mauth_python_interop")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    with mock.patch.object(authenticator_module, "datetime", frozen_datetime_module(now_seconds)), \
            mock.patch.object(Config, "V2_ONLY_AUTHENTICATE", v2_only), \
            mock.patch.object(KeyHolder, "_get_public_key_and_cache_control_from_mauth",
                              classmethod(fetch_key)):
        return authenticate_each(doc, lambda method, url, headers, body: LocalAuthenticator(
            RequestSignable(method=method, url=url, body=body), Signed.from_headers(headers), logger))


def send(doc):
    import requests

    base_url = field(doc, "base_url", str, "input").rstrip("/")
    auth = MAuth(
        field(doc, "app_uuid", str, "input"),
        field(doc, "private_key_pem", str, "input"),
        field(doc, "sign_versions", str, "input"),
    )
    results = []
    with requests.Session() as session:
        for index, request in enumerate(field(doc, "requests", list, "input")):
            method, url, body = request_fields(request, "requests[{}]".format(index))
            response = session.request(method, base_url + url[len(DUMMY_ORIGIN):], data=body or None,
                                       auth=auth, timeout=10)
            results.append({"status": response.status_code, "body": response.text,
                            "sent_target": response.request.path_url})
    return {"results": results}


def lambda_authenticate(doc):
    from mauth_client.lambda_authenticator import LambdaAuthenticator

    return authenticate_each(doc, LambdaAuthenticator)


def authenticate_each(doc, make_authenticator):
    """Run make_authenticator(method, url, headers, body).is_authentic() for every request."""
    results = []
    for index, request in enumerate(field(doc, "requests", list, "input")):
        where = "requests[{}]".format(index)
        method, url, body = request_fields(request, where)
        headers = field(request, "headers", dict, where)
        if not all(isinstance(value, str) for value in headers.values()):
            raise InputError("{}: header values must be strings".format(where))
        try:
            authentic, status, message = make_authenticator(method, url, headers, body).is_authentic()
        except Exception as error:  # what the package does not handle itself
            authentic, status = False, 500
            message = "uncaught {}: {}".format(type(error).__name__, error)
        results.append({"authentic": authentic, "status": status, "message": message})
    return {"results": results}


def main(argv):
    modes = {"sign": sign, "verify": verify, "send": send, "lambda": lambda_authenticate}
    if len(argv) != 2 or argv[1] not in modes:
        fail("usage: mauth_python.py sign|verify|send|lambda < input.json  (mauth-client {})".format(
            getattr(mauth_client, "__version__", "?")))
    try:
        doc = json.load(sys.stdin)
        output = modes[argv[1]](doc)
    except json.JSONDecodeError as error:
        fail("input is not valid JSON ({})".format(error))
    except InputError as error:
        fail("malformed input: {}".format(error))
    except ValueError as error:  # e.g. an unreadable private key or bad sign_versions
        fail(str(error))
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
