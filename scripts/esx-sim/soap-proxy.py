#!/usr/bin/env python3
"""A loopback HTTP proxy between libvirt's esx:// driver and the vSphere API simulator (esx-sim).

libvirt's driver reads the type of every `anyType` value from an attribute spelled `xsi:type` and from
each element of an `ArrayOf...` value. The simulator declares the XML Schema instance namespace under
another prefix and leaves the type off array elements, which real ESXi hosts write out. This proxy
rewrites the simulator's SOAP responses to what ESXi writes (that prefix to `xsi`, `xsi:type="X"` on
each `<X>` in an `ArrayOfX`) and passes everything else through unchanged. It also appends the name
of every SOAP method it forwards, with the object it was called on, to a log file: what the host was
asked to do, as the host saw it.

Usage: soap-proxy.py UPSTREAM_PORT LOG_FILE. Listens on 127.0.0.1 on a free port, prints
"ready 127.0.0.1:PORT", and exits on SIGTERM or when the process that started it is gone.
Standard library only.
"""
import http.client
import http.server
import os
import re
import signal
import sys
import threading
import time

XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)([^<>]*?)(/?)>")
ARRAY_TYPE = re.compile(rb'\bxsi:type="ArrayOf(\w+)"')
METHOD = re.compile(rb"<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)[^>]*>\s*<(?:\w+:)?_this[^>]*>([^<]*)<")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


def with_xsi_prefix(body):
    """Rewrites every other prefix bound to the XML Schema instance namespace to `xsi`, which the envelope
    declares (the simulator declares `XMLSchema-instance` on each value instead)."""
    declaration = re.compile(rb'\s+xmlns:([\w.-]+)="' + re.escape(XSI_NAMESPACE.encode()) + b'"')
    prefixes = {p for p in declaration.findall(body) if p != b"xsi"}
    if not prefixes:
        return body
    body = declaration.sub(lambda m: m.group(0) if m.group(1) == b"xsi" else b"", body)
    if b'xmlns:xsi="' not in body:
        body = body.replace(b"<soapenv:Envelope", b'<soapenv:Envelope xmlns:xsi="' + XSI_NAMESPACE.encode() + b'"', 1)
    for prefix in prefixes:
        body = re.sub(rb"(?<=\s)" + re.escape(prefix) + rb":type=", b"xsi:type=", body)
    return body


def with_array_element_types(body):
    """Adds `xsi:type="X"` to each direct `<X>` child of an element typed `ArrayOfX` that has no type."""
    stack = []  # (element name, the array's element type or None)

    def retag(match):
        closing, name, attributes, empty = match.groups()
        if closing:
            if stack:
                stack.pop()
            return match.group(0)
        parent_array = stack[-1][1] if stack else None
        result = match.group(0)
        if parent_array is not None and name == parent_array and b"xsi:type=" not in attributes:
            result = b"<" + name + b' xsi:type="' + name + b'"' + attributes + empty + b">"
        if not empty and not name.startswith(b"?"):
            array = ARRAY_TYPE.search(attributes)
            stack.append((name, array.group(1) if array else None))
        return result

    return TAG.sub(retag, body)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream_port = 0
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, format, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else None
        if request_body:
            method = METHOD.search(request_body)
            if method:
                with Handler.log_lock, open(Handler.log_path, "ab") as log:
                    log.write(method.group(1) + b" " + method.group(2).strip() + b"\n")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
        connection = http.client.HTTPConnection("127.0.0.1", Handler.upstream_port, timeout=60)
        try:
            connection.request(self.command, self.path, body=request_body, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if b"<soapenv:Envelope" in body[:400] or b"Envelope" in body[:400]:
                body = with_array_element_types(with_xsi_prefix(body))
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        finally:
            connection.close()

    do_GET = do_POST = do_PUT = do_HEAD = forward


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: soap-proxy.py UPSTREAM_PORT LOG_FILE\n")
        return 2
    Handler.upstream_port = int(sys.argv[1])
    Handler.log_path = sys.argv[2]
    open(Handler.log_path, "wb").close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print("ready 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
