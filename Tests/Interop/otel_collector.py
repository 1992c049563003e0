#!/usr/bin/env python3
"""A small OTLP/HTTP trace receiver and an upstream, on loopback, for the tracing tests.

Prints `listening on http://127.0.0.1:COLLECTOR upstream http://127.0.0.1:UPSTREAM` once both listen.

- The collector takes `POST /v1/traces` (an OTLP ExportTraceServiceRequest in protobuf, decoded
  with the `opentelemetry-proto` package) and answers `GET /spans` with what it received, as JSON:
  a list of {trace_id, span_id, parent_span_id, name, kind, service} with the ids in hex.
- The upstream answers every request with the `traceparent` it received (`none` without one).

Both stop on SIGTERM, or after 120 s at most.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

SPANS = []
LOCK = threading.Lock()


class Collector(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        with LOCK:
            for resource_spans in request.resource_spans:
                service = next((a.value.string_value for a in resource_spans.resource.attributes
                                if a.key == "service.name"), "")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        SPANS.append({"trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                      "parent_span_id": span.parent_span_id.hex(), "name": span.name,
                                      "kind": span.kind, "service": service})
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):
        with LOCK:
            answer = json.dumps(SPANS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class Upstream(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        answer = (self.headers.get("traceparent") or "none").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def main():
    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    for server in (collector, upstream):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening on http://127.0.0.1:{collector.server_address[1]} "
          f"upstream http://127.0.0.1:{upstream.server_address[1]}", flush=True)
    threading.Event().wait(120)


if __name__ == "__main__":
    main()
