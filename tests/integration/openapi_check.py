#!/usr/bin/python3
"""openapi_check.py BINDIR REPO - checks parkd's API against api/openapi.json.

Runs the real thing: a mosquitto broker and parkd (on free loopback ports, data in a temp
dir), tokens of every role made with parkctl, parksim playing the demo park for a few seconds
with two incidents (gas detector spikes at E001 and E002, so there are alarms), and a few
malformed MQTT messages (dead letters). Then it calls every operation of the document with
valid and invalid inputs and as every role, and validates each response against the
document: the status is documented for the operation, the Content-Type is one of the
documented media types, documented required headers are there, and the body validates
against the response's JSON Schema (2020-12, $refs resolved in the whole document). Event
streams are read with a timeout and each event's data is validated against the schema named
for its event in the media type's x-sse-events.

It also checks that the document and the server agree on the set of routes: every path of
the document answers (not "no endpoint"), the routes in api.c's dispatch table are all
documented, and paths that are not documented answer 404.

Debian's /usr/bin/python3 with python3-jsonschema (4.10); stdlib otherwise. Exit 0 when
everything validated, 1 with a list of failures (operation, status, error) otherwise.
"""
import http.client
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import jsonschema  # noqa: E402
from jsonschema import Draft202012Validator, RefResolver  # noqa: E402

# ---------------------------------------------------------------- globals

FAILURES = []
WARNINGS = []
STATS = {"responses": 0, "events": 0, "schemas": 0}
SEEN = {}  # (METHOD, template) -> set of statuses seen
VERBOSE = bool(os.environ.get("OPENAPI_CHECK_VERBOSE"))

MAX_STREAMS = 16  # parkd config: the 503 test opens streams up to this
MAX_BODY = 65536  # parkd config: max_body_bytes
RATE = 100  # parkd config: rate_limit_per_s (bursts of 200)


def fail(what, msg):
    FAILURES.append("%s: %s" % (what, msg))
    print("FAIL %s: %s" % (what, msg), flush=True)


def warn(what, msg):
    WARNINGS.append("%s: %s" % (what, msg))
    print("WARN %s: %s" % (what, msg), flush=True)


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- the document


class Doc:
    def __init__(self, doc):
        self.doc = doc
        self.resolver = RefResolver(base_uri="", referrer=doc)
        self.ops = {}  # (METHOD, template) -> operation
        for tpl, item in doc.get("paths", {}).items():
            for m, op in item.items():
                if m in ("get", "post", "put", "delete", "patch", "head", "options"):
                    self.ops[(m.upper(), tpl)] = op
        self._validators = {}

    def deref(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("only local $refs are used here: %s" % ref)
            node = self.pointer(ref)
            seen += 1
            if seen > 20:
                raise ValueError("$ref loop at %s" % ref)
        return node

    def pointer(self, ref):
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise KeyError(ref)
        return node

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        v = self._validators.get(key)
        if v is None:
            v = Draft202012Validator(schema, resolver=self.resolver)
            self._validators[key] = v
        return v

    def errors(self, schema, instance):
        """The validation errors of instance, as short strings (at most 5)."""
        errs = sorted(self.validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        out = []
        for e in errs[:5]:
            where = "/".join(str(p) for p in e.absolute_path)
            out.append("at /%s: %s" % (where, e.message[:300]))
        return out

    def path_templates(self):
        return list(self.doc.get("paths", {}).keys())


def lint(doc):
    """Structural checks of the document itself."""
    d = doc.doc
    if d.get("openapi") != "3.1.0":
        fail("document", "openapi must be 3.1.0, not %r" % d.get("openapi"))
    for k in ("info", "paths", "components"):
        if k not in d:
            fail("document", "no %s" % k)
    # every $ref resolves
    def walk(node, where):
        if isinstance(node, dict):
            r = node.get("$ref")
            if isinstance(r, str):
                try:
                    doc.pointer(r)
                except (KeyError, ValueError, IndexError):
                    fail("document", "%s: $ref %s does not resolve" % (where, r))
            for k, v in node.items():
                walk(v, where + "/" + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s/%d" % (where, i))
    walk(d, "#")
    # every schema is a valid 2020-12 schema
    schemas = d.get("components", {}).get("schemas", {})
    for name, s in schemas.items():
        try:
            Draft202012Validator.check_schema(s)
            STATS["schemas"] += 1
        except jsonschema.exceptions.SchemaError as e:
            fail("document", "components/schemas/%s: %s" % (name, e.message))
    op_ids = set()
    sec_schemes = d.get("components", {}).get("securitySchemes", {})
    if "bearerAuth" not in sec_schemes or sec_schemes["bearerAuth"].get("scheme") != "bearer":
        fail("document", "components/securitySchemes/bearerAuth must be an http bearer scheme")
    for (m, tpl), op in doc.ops.items():
        what = "%s %s" % (m, tpl)
        oid = op.get("operationId")
        if not oid or oid in op_ids:
            fail("document", "%s: missing or duplicate operationId %r" % (what, oid))
        op_ids.add(oid)
        for name in re.findall(r"\{([^}]+)\}", tpl):
            if not any(doc.deref(p).get("in") == "path" and doc.deref(p).get("name") == name
                       for p in op.get("parameters", [])):
                fail("document", "%s: path parameter %s is not declared" % (what, name))
        rb = doc.deref(op.get("requestBody", {}))
        for media, mt in (rb.get("content") or {}).items():
            extra = [k for k in mt if k not in ("schema", "encoding", "example", "examples")
                     and not k.startswith("x-")]
            if extra:
                fail("document", "%s request %s: %s not allowed in a media type object" % (
                    what, media, extra))
        for p in op.get("parameters", []):
            p = doc.deref(p)
            if p.get("in") == "path" and p.get("required") is not True:
                fail("document", "%s: path parameter %s must be required" % (what, p.get("name")))
            try:
                Draft202012Validator.check_schema(p.get("schema", {}))
            except jsonschema.exceptions.SchemaError as e:
                fail("document", "%s: parameter %s: %s" % (what, p.get("name"), e.message))
        resps = op.get("responses") or {}
        if not resps:
            fail("document", "%s: no responses" % what)
        for st, r in resps.items():
            r = doc.deref(r)
            if "description" not in r:
                fail("document", "%s %s: a response needs a description" % (what, st))
            for media, mt in (r.get("content") or {}).items():
                extra = [k for k in mt if k not in ("schema", "encoding", "example", "examples")
                         and not k.startswith("x-")]
                if extra:
                    fail("document", "%s %s %s: %s not allowed in a media type object" % (
                        what, st, media, extra))
                try:
                    Draft202012Validator.check_schema(mt.get("schema", {}))
                except jsonschema.exceptions.SchemaError as e:
                    fail("document", "%s %s %s: %s" % (what, st, media, e.message))
                if media == "text/event-stream" and not mt.get("x-sse-events"):
                    fail("document", "%s: event stream without x-sse-events" % what)
        security = op.get("security", d.get("security", []))
        for s in security:
            for k in s:
                if k not in sec_schemes:
                    fail("document", "%s: unknown security scheme %s" % (what, k))
        # what every operation of this server can answer (route() and on_request in api.c)
        must = {"500"}
        if tpl != "/api/v1/openapi.json":
            must.add("405")
        if security:
            must |= {"401", "429"}
        if m == "POST":
            must.add("413")
        for st in sorted(must - set(resps)):
            fail("document", "%s: status %s is not documented" % (what, st))
        if security and not any("bearerAuth" in s for s in security):
            fail("document", "%s: no bearerAuth" % what)
        if tpl.endswith("/stream") != ("text/event-stream" in (
                doc.deref(resps.get("200", {})).get("content") or {})):
            fail("document", "%s: streams are the paths ending in /stream" % what)


# ---------------------------------------------------------------- processes and ports


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def mqtt_publish(port, messages):
    """Publishes (topic, payload) pairs at QoS 0 with a hand-made MQTT 3.1.1 client."""
    def varint(n):
        out = b""
        while True:
            b = n % 128
            n //= 128
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out

    def s(x):
        x = x.encode() if isinstance(x, str) else x
        return len(x).to_bytes(2, "big") + x

    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        vh = s("MQTT") + bytes([4, 0x02]) + (30).to_bytes(2, "big") + s("openapi-check")
        sock.sendall(b"\x10" + varint(len(vh)) + vh)
        ack = sock.recv(4)
        if len(ack) < 4 or ack[0] != 0x20 or ack[3] != 0:
            raise RuntimeError("MQTT CONNACK %r" % ack)
        for topic, payload in messages:
            body = s(topic) + (payload.encode() if isinstance(payload, str) else payload)
            sock.sendall(b"\x30" + varint(len(body)) + body)
        sock.sendall(b"\xe0\x00")
        time.sleep(0.2)
    finally:
        sock.close()


# ---------------------------------------------------------------- HTTP


class Api:
    def __init__(self, port, doc):
        self.port = port
        self.doc = doc

    # -- plain requests

    def raw(self, method, url, token=None, body=None, headers=None, auth_header=None,
            timeout=30):
        h = dict(headers or {})
        if auth_header is not None:
            h["Authorization"] = auth_header
        elif token:
            h["Authorization"] = "Bearer " + token
        if body is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, url, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return r.status, hdrs, data
        finally:
            conn.close()

    @staticmethod
    def url(path, query=None):
        if not query:
            return path
        return path + "?" + urllib.parse.urlencode(query, safe=",/:")

    def call(self, method, tpl, token=None, params=None, query=None, body=None, headers=None,
             expect=None, auth_header=None, label=None, doc_method=None):
        """Calls an operation of the document and validates the answer; returns (status,
        parsed body or text, headers). doc_method: the documented operation of the path to
        validate against when method is not one (wrong-method calls)."""
        path = tpl
        for k, v in (params or {}).items():
            path = path.replace("{%s}" % k, urllib.parse.quote(str(v), safe=""))
        url = self.url(path, query)
        what = label or "%s %s" % (method, url)
        try:
            st, hdrs, data = self.raw(method, url, token, body, headers, auth_header)
        except (OSError, http.client.HTTPException) as e:
            fail(what, "request failed: %s" % e)
            return None, None, {}
        parsed = self.validate((doc_method or method, tpl), what, st, hdrs, data, expect)
        return st, parsed, hdrs

    def validate(self, opkey, what, st, hdrs, data, expect=None):
        STATS["responses"] += 1
        SEEN.setdefault(opkey, set()).add(st)
        if VERBOSE:
            log("  %s -> %d" % (what, st))
        op = self.doc.ops.get(opkey)
        if op is None:
            fail(what, "%s %s is not documented" % opkey)
            return None
        if expect is not None:
            exp = expect if isinstance(expect, (set, tuple, list)) else {expect}
            if st not in exp:
                fail(what, "status %d, expected %s; body: %s" % (st, "/".join(
                    str(x) for x in sorted(exp)), data[:300].decode("utf-8", "replace")))
        resp = (op.get("responses") or {}).get(str(st))
        if resp is None:
            resp = (op.get("responses") or {}).get("%dXX" % (st // 100))
        if resp is None:
            resp = (op.get("responses") or {}).get("default")
        if resp is None:
            fail(what, "status %d is not documented for %s %s (body: %s)" % (
                st, opkey[0], opkey[1], data[:200].decode("utf-8", "replace")))
            return self._parse_any(hdrs, data)
        resp = self.doc.deref(resp)
        for name, h in (resp.get("headers") or {}).items():
            h = self.doc.deref(h)
            v = hdrs.get(name.lower())
            if v is None:
                if h.get("required"):
                    fail(what, "status %d: header %s missing" % (st, name))
                continue
            if "schema" in h:
                for e in self.doc.errors(h["schema"], v):
                    fail(what, "status %d: header %s %r: %s" % (st, name, v, e))
        content = resp.get("content") or {}
        ctype = hdrs.get("content-type")
        if not content:
            if data:
                fail(what, "status %d: a body where none is documented" % st)
            return None
        if not ctype:
            fail(what, "status %d: no Content-Type (documented: %s)" % (st, ", ".join(content)))
            return self._parse_any(hdrs, data)
        base = ctype.split(";")[0].strip().lower()
        mt = content.get(base)
        if mt is None:
            fail(what, "status %d: Content-Type %s is not documented (documented: %s)" % (
                st, ctype, ", ".join(content)))
            return self._parse_any(hdrs, data)
        schema = mt.get("schema", {})
        if base == "application/stream+json":
            # JSON lines (VictoriaMetrics's export): the schema describes the list of lines
            try:
                inst = [json.loads(l) for l in data.decode("utf-8").splitlines() if l.strip()]
            except (UnicodeDecodeError, ValueError) as e:
                fail(what, "status %d: a line is not JSON (%s)" % (st, e))
                return None
        elif schema.get("format") == "binary":
            return data  # bytes as they are (a hazard's evidence): nothing to decode
        elif base.endswith("json"):
            try:
                inst = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                fail(what, "status %d: the body is not JSON (%s): %s" % (
                    st, e, data[:200].decode("utf-8", "replace")))
                return None
        else:
            try:
                inst = data.decode("utf-8")
            except UnicodeDecodeError as e:
                fail(what, "status %d: the body is not UTF-8: %s" % (st, e))
                return None
        for e in self.doc.errors(schema, inst):
            fail(what, "status %d (%s) does not validate: %s" % (st, base, e))
        return inst

    @staticmethod
    def _parse_any(hdrs, data):
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return data.decode("utf-8", "replace")

    # -- event streams

    def stream(self, tpl, token=None, query=None, expect=None, max_events=5, seconds=5.0,
               until=None, label=None, keep_open=False, auth_header=None):
        """Opens an event stream of operation GET tpl, validates the answer and each event's
        data; returns (status, [(event, data, id)], Stream or None)."""
        url = self.url(tpl, query)
        what = label or "GET %s" % url
        s = Stream(self.port, url, token, auth_header)
        try:
            s.open()
        except (OSError, RuntimeError) as e:
            fail(what, "opening the stream failed: %s" % e)
            s.close()
            return None, [], None
        opkey = ("GET", tpl)
        if s.status != 200 or not s.headers.get("content-type", "").startswith(
                "text/event-stream"):
            data = s.read_body(10)
            s.close()
            parsed = self.validate(opkey, what, s.status, s.headers, data, expect)
            return s.status, parsed, None
        self.validate_stream_head(opkey, what, s, expect)
        events = self.read_events(opkey, what, s, max_events, seconds, until)
        if keep_open:
            return 200, events, s
        s.close()
        return 200, events, None

    def validate_stream_head(self, opkey, what, s, expect):
        STATS["responses"] += 1
        SEEN.setdefault(opkey, set()).add(s.status)
        op = self.doc.ops.get(opkey)
        if op is None:
            fail(what, "%s %s is not documented" % opkey)
            return
        if expect is not None:
            exp = expect if isinstance(expect, (set, tuple, list)) else {expect}
            if s.status not in exp:
                fail(what, "status %d, expected %s" % (s.status, exp))
        resp = self.doc.deref(op["responses"].get("200", {}))
        if "text/event-stream" not in (resp.get("content") or {}):
            fail(what, "200 text/event-stream is not documented")

    def read_events(self, opkey, what, s, max_events, seconds, until=None):
        op = self.doc.ops.get(opkey) or {}
        resp = self.doc.deref((op.get("responses") or {}).get("200", {}))
        mt = (resp.get("content") or {}).get("text/event-stream", {})
        names = mt.get("x-sse-events", {})
        out = []
        deadline = time.time() + seconds
        while len(out) < max_events and time.time() < deadline:
            ev = s.next_event(deadline)
            if ev is None:
                break
            name, data, eid = ev
            STATS["events"] += 1
            schema = names.get(name)
            if schema is None:
                fail(what, "event %r is not documented (documented: %s)" % (
                    name, ", ".join(names)))
                continue
            try:
                inst = json.loads(data)
            except ValueError as e:
                fail(what, "event %s: data is not JSON (%s): %s" % (name, e, data[:200]))
                continue
            for e in self.doc.errors(schema, inst):
                fail(what, "event %s does not validate: %s" % (name, e))
            out.append((name, inst, eid))
            if until and until(out):
                break
        return out


class Stream:
    """A minimal HTTP/1.1 client for event streams over a raw socket (chunked bodies decoded
    by hand, so a read timeout never loses data)."""

    def __init__(self, port, url, token, auth_header=None):
        self.port, self.url, self.token, self.auth_header = port, url, token, auth_header
        self.sock = None
        self.raw = b""
        self.body = b""
        self.eof = False
        self.chunked = False
        self.length = None
        self.status = None
        self.headers = {}
        self.text = ""
        self.retry_seen = False
        self.retry_ms = None

    def open(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        lines = ["GET %s HTTP/1.1" % self.url, "Host: 127.0.0.1",
                 "Accept: text/event-stream"]
        if self.auth_header is not None:
            lines.append("Authorization: " + self.auth_header)
        elif self.token:
            lines.append("Authorization: Bearer " + self.token)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        end = time.time() + 10
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(end):
                raise RuntimeError("no response head")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        hl = head.decode("iso-8859-1").split("\r\n")
        self.status = int(hl[0].split()[1])
        for line in hl[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        if "content-length" in self.headers:
            self.length = int(self.headers["content-length"])

    def _recv(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            self.eof = True
            return False
        if not d:
            self.eof = True
            return False
        self.raw += d
        return True

    def _decode(self):
        """Moves what raw holds of the body to body; True at the end of the body."""
        if not self.chunked:
            self.body += self.raw
            self.raw = b""
            return self.length is not None and len(self.body) >= self.length
        while True:
            i = self.raw.find(b"\r\n")
            if i < 0:
                return False
            size = int(self.raw[:i].split(b";")[0], 16)
            if size == 0:
                return True
            if len(self.raw) < i + 2 + size + 2:
                return False
            self.body += self.raw[i + 2:i + 2 + size]
            self.raw = self.raw[i + 2 + size + 2:]

    def read_body(self, seconds):
        end = time.time() + seconds
        while not self._decode():
            if self.eof or not self._recv(end):
                break
        return self.body

    def next_event(self, deadline):
        """(event, data, id) of the next event, or None at the deadline or the end."""
        name, data, eid = None, [], None
        while True:
            done = self._decode()
            if self.body:
                self.text += self.body.decode("utf-8")
                self.body = b""
            while "\n" in self.text:
                line, self.text = self.text.split("\n", 1)
                if line == "":
                    if data or name:
                        return (name or "message", "\n".join(data), eid)
                    continue
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
                elif field == "id":
                    eid = value
                elif field == "retry":
                    self.retry_seen = True
                    self.retry_ms = value
            if done:
                self.eof = True
                return None
            if self.eof or not self._recv(deadline):
                return None

    def ended(self, seconds):
        """True when the server ends the body within seconds."""
        end = time.time() + seconds
        while True:
            if self._decode():
                return True
            if self.eof:
                return True
            if not self._recv(end):
                return self.eof

    def close(self):
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


class Collector(threading.Thread):
    """Reads an alarm stream in the background until stopped."""

    def __init__(self, api, token, label):
        super().__init__(daemon=True)
        self.api, self.token, self.label = api, token, label
        self.stop = threading.Event()
        self.events = []
        self.status = None
        self.stream = None
        self.ready = threading.Event()

    def run(self):
        s = Stream(self.api.port, "/api/v1/alarms/stream", self.token)
        self.stream = s
        try:
            s.open()
            self.status = s.status
            self.ready.set()
            if s.status != 200:
                self.body = s.read_body(5)
                return
            while not self.stop.is_set():
                ev = s.next_event(time.time() + 0.5)
                if ev is not None:
                    self.events.append(ev)
                elif s.eof:
                    break
        except (OSError, RuntimeError, ValueError) as e:
            self.error = str(e)
        finally:
            self.ready.set()
            s.close()


# ---------------------------------------------------------------- the checks


def now_ms():
    return int(time.time() * 1000)


class Checker:
    def __init__(self, api, doc, tokens, repo, bindir):
        self.api, self.doc, self.t, self.repo, self.bindir = api, doc, tokens, repo, bindir
        self.c = api.call

    # -- meta

    def meta(self):
        c, t = self.c, self.t
        st, body, _ = c("GET", "/healthz", expect=200)
        if isinstance(body, dict) and body.get("broker_connected") is not True:
            fail("GET /healthz", "broker_connected is %r" % body.get("broker_connected"))
        c("POST", "/healthz", expect=405, label="POST /healthz", doc_method="GET")
        for path, tok in (("/healthz", None), ("/api/v1/whoami", t["operator"])):
            st, hdrs, data = self.api.raw("HEAD", path, tok)
            STATS["responses"] += 1
            if st != 200 or not hdrs.get("content-type", "").startswith("application/json"):
                fail("HEAD %s" % path, "status %d, Content-Type %s (HEAD is answered like "
                     "GET)" % (st, hdrs.get("content-type")))
        st, served, _ = c("GET", "/api/v1/openapi.json", expect=200)
        if served != self.doc.doc:
            fail("GET /api/v1/openapi.json", "the served document differs from "
                 "api/openapi.json: rebuild parkd (the document is compiled in)")
        c("GET", "/metrics", t["admin"], expect=200)
        c("GET", "/metrics", t["regulator"], expect=200)
        c("GET", "/metrics", t["operator"], expect=200)
        c("GET", "/metrics", t["e2"], expect=403, label="GET /metrics as enterprise")
        for role in ("admin", "operator", "regulator", "e2"):
            st, body, _ = c("GET", "/api/v1/whoami", t[role], expect=200,
                            label="GET /api/v1/whoami as %s" % role)
            want = "enterprise" if role == "e2" else role
            if isinstance(body, dict) and body.get("role") != want:
                fail("GET /api/v1/whoami as %s" % role, "role %r" % body.get("role"))
            if role == "e2" and isinstance(body, dict) and body.get("enterprise") != "E002":
                fail("GET /api/v1/whoami as e2", "enterprise %r" % body.get("enterprise"))
        c("GET", "/api/v1/whoami", expect=401, label="whoami without a token")
        c("GET", "/api/v1/whoami", auth_header="Bearer pw_0000000000000000_nope", expect=401,
          label="whoami with a bad token")
        c("GET", "/api/v1/whoami", auth_header="Basic YWRtaW46YWRtaW4=", expect=401,
          label="whoami with Basic auth")
        c("GET", "/api/v1/whoami", query={"access_token": t["regulator"]}, expect=401,
          label="whoami with ?access_token= (never accepted)")
        st, tk, _ = c("POST", "/api/v1/stream-tickets", t["regulator"], body={}, expect=201)
        if st == 201:
            c("GET", "/api/v1/whoami", query={"ticket": tk["ticket"]}, expect=401,
              label="whoami with ?ticket= (streams only)")

    # -- series

    def series(self):
        c, t = self.c, self.t
        st, body, _ = c("GET", "/api/v1/series", t["admin"], expect=200)
        st, body, _ = c("GET", "/api/v1/series", t["admin"],
                        query={"enterprise": "E002", "device": "gd-03"}, expect=200)
        if isinstance(body, dict):
            names = [s["name"] for s in body.get("series", [])]
            if "E002/gd-03/lel" not in names:
                fail("GET /api/v1/series?enterprise=E002&device=gd-03", "names %s" % names)
        st, body, _ = c("GET", "/api/v1/series", t["admin"],
                        query={"kind": "gas_detector", "limit": "5"}, expect=200)
        if isinstance(body, dict) and not (body.get("truncated") and body.get("count") == 5):
            fail("GET /api/v1/series?kind=gas_detector&limit=5", "not truncated to 5")
        c("GET", "/api/v1/series", t["admin"], query={"q": "LEL", "limit": "3"}, expect=200)
        c("GET", "/api/v1/series", t["admin"], query={"kind": "volcano"}, expect=400)
        c("GET", "/api/v1/series", t["admin"], query={"limit": "0"}, expect=400)
        c("GET", "/api/v1/series", t["admin"], query={"limit": "x"}, expect=400)
        st, body, _ = c("GET", "/api/v1/series", t["e2"], expect=200,
                        label="GET /api/v1/series as E002")
        if isinstance(body, dict):
            other = [s["name"] for s in body.get("series", []) if s.get("enterprise") != "E002"]
            if other or not body.get("series"):
                fail("GET /api/v1/series as E002", "sees %d others' series (%s) or none" % (
                    len(other), other[:3]))
        c("GET", "/api/v1/series", t["e2"], query={"enterprise": "E001"}, expect=403,
          label="GET /api/v1/series?enterprise=E001 as E002")

        # raw
        S = "E002/gd-03/lel"
        st, body, _ = c("GET", "/api/v1/series/raw", t["admin"],
                        query={"series": S, "from": "-10m"}, expect=200)
        if isinstance(body, dict) and not body.get("count"):
            fail("GET /api/v1/series/raw", "no points of %s" % S)
        st, body, _ = c("GET", "/api/v1/series/raw", t["regulator"],
                        query={"series": S, "from": "-10m", "limit": "2"}, expect=200)
        if isinstance(body, dict) and not (body.get("truncated") and "next_from" in body):
            fail("GET /api/v1/series/raw?limit=2", "not truncated with next_from")
        st, body, h = c("GET", "/api/v1/series/raw", t["admin"],
                        query={"series": S, "from": "-10m", "format": "csv"}, expect=200)
        if not h.get("content-type", "").startswith("text/csv"):
            fail("GET /api/v1/series/raw?format=csv", "Content-Type %s" % h.get("content-type"))
        st, body, h = c("GET", "/api/v1/series/raw", t["admin"],
                        query={"series": S, "from": "-10m"}, headers={"Accept": "text/csv"},
                        expect=200, label="GET /api/v1/series/raw Accept: text/csv")
        if not h.get("content-type", "").startswith("text/csv"):
            fail("GET /api/v1/series/raw Accept: text/csv", "Content-Type %s" %
                 h.get("content-type"))
        c("GET", "/api/v1/series/raw", t["admin"], query={"from": "-1h"}, expect=400)
        c("GET", "/api/v1/series/raw", t["admin"], query={"series": S, "from": "yesterday"},
          expect=400)
        c("GET", "/api/v1/series/raw", t["admin"], query={"series": S, "from": "now",
                                                          "to": "-1h"}, expect=400)
        st, body, _ = c("GET", "/api/v1/series/raw", t["admin"],
                        query={"series": S, "from": "0", "to": "now"}, expect=400)
        self.expect_code("GET /api/v1/series/raw?from=0", body, "limit_exceeded")
        c("GET", "/api/v1/series/raw", t["admin"], query={"series": S, "limit": "100000000"},
          expect=400)
        c("GET", "/api/v1/series/raw", t["admin"], query={"series": "E002/gd-03/nothing"},
          expect=404)
        c("GET", "/api/v1/series/raw", t["e2"], query={"series": "E001/gd-01/lel"},
          expect=404, label="GET /api/v1/series/raw E001 series as E002")
        c("GET", "/api/v1/series/raw", t["e2"], query={"series": S, "from": "-10m"},
          expect=200, label="GET /api/v1/series/raw own series as E002")

        # range
        st, body, _ = c("GET", "/api/v1/series/range", t["admin"],
                        query={"series": S, "from": "-10m", "step": "10s"}, expect=200)
        if isinstance(body, dict) and not body.get("buckets"):
            fail("GET /api/v1/series/range", "no buckets")
        c("GET", "/api/v1/series/range", t["operator"],
          query={"series": S, "from": "-10m", "step": "1m", "agg": "max"}, expect=200)
        st, body, _ = c("GET", "/api/v1/series/range", t["admin"],
                        query={"series": S, "from": "-10m", "step": "30s", "agg": "all"},
                        expect={200, 400}, label="GET /api/v1/series/range agg=all")
        if st == 400:
            warn("GET /api/v1/series/range agg=all",
                 "400: agg=all is documented but refused (hist_agg_parse knows no \"all\")")
        c("GET", "/api/v1/series/range", t["admin"],
          query={"series": S, "from": "-10m", "format": "csv"}, expect=200)
        c("GET", "/api/v1/series/range", t["admin"], query={"series": S, "agg": "median"},
          expect=400)
        c("GET", "/api/v1/series/range", t["admin"], query={"series": S, "step": "fortnight"},
          expect=400)
        st, body, _ = c("GET", "/api/v1/series/range", t["admin"],
                        query={"series": S, "from": "-2d", "step": "1ms"}, expect=400)
        self.expect_code("GET /api/v1/series/range step=1ms", body, "limit_exceeded")
        c("GET", "/api/v1/series/range", t["admin"], expect=400)
        c("GET", "/api/v1/series/range", t["e2"], query={"series": "E001/gd-01/lel"},
          expect=404, label="GET /api/v1/series/range E001 series as E002")

        # last
        st, body, _ = c("GET", "/api/v1/last", t["admin"],
                        query={"series": "E002/gd-03/lel,PARK/met-1/temp"}, expect=200)
        if isinstance(body, dict) and body.get("count") != 2:
            fail("GET /api/v1/last", "count %r" % body.get("count"))
        st, body, _ = c("GET", "/api/v1/last", t["regulator"], query={"enterprise": "E002"},
                        expect=200)
        if isinstance(body, dict) and body.get("count", 0) < 50:
            fail("GET /api/v1/last?enterprise=E002", "count %r" % body.get("count"))
        c("GET", "/api/v1/last", t["admin"], expect=400)
        st, body, _ = c("GET", "/api/v1/last", t["admin"], query={"series": ",".join(
            ["x"] * 1001)}, expect=400, label="GET /api/v1/last with 1001 series")
        self.expect_code("GET /api/v1/last with 1001 series", body, "limit_exceeded")
        c("GET", "/api/v1/last", t["admin"], query={"series": "E002/nope/nothing"}, expect=404)
        c("GET", "/api/v1/last", t["e2"], query={"enterprise": "E001"}, expect=403,
          label="GET /api/v1/last?enterprise=E001 as E002")
        c("GET", "/api/v1/last", t["e2"], query={"series": "E001/gd-01/lel"}, expect=404,
          label="GET /api/v1/last E001 series as E002")
        c("GET", "/api/v1/last", t["e2"], query={"enterprise": "E002"}, expect=200,
          label="GET /api/v1/last?enterprise=E002 as E002")

    def expect_code(self, what, body, code):
        if isinstance(body, dict):
            got = (body.get("error") or {}).get("code")
            if got != code:
                fail(what, "error code %r, expected %r" % (got, code))

    # -- layers

    def layers(self):
        c, t = self.c, self.t
        # what each token should see, from the layout file itself
        layout = json.load(open(os.path.join(self.repo, "geo", "demo-park.geojson")))
        want_all, want_e2 = {}, {}
        for f in layout["features"]:
            p = f["properties"]
            want_all[p["kind"]] = want_all.get(p["kind"], 0) + 1
            if p.get("enterprise", "") in ("", "E002"):
                want_e2[p["kind"]] = want_e2.get(p["kind"], 0) + 1
        for key, want in (("admin", want_all), ("e2", want_e2)):
            what = "GET /api/v1/layers as %s" % key
            st, body, _ = c("GET", "/api/v1/layers", t[key], expect=200, label=what)
            if isinstance(body, dict):
                got = {l["kind"]: l["features"] for l in body.get("layers", []) if
                       l["features"]}
                if got != want:
                    fail(what, "feature counts %s, the layout has %s" % (got, want))
        L = "/api/v1/layers/{kind}"
        st, body, _ = c("GET", L, t["admin"], params={"kind": "gas_detector"}, expect=200)
        if isinstance(body, dict):
            gd3 = [f for f in body.get("features", []) if f.get("id") == "E002-GD3"]
            if not gd3 or "values" not in gd3[0]["properties"]:
                fail("GET /api/v1/layers/gas_detector", "E002-GD3 missing or without values")
        c("GET", L, t["operator"], params={"kind": "all"}, query={"values": "false"},
          expect=200)
        st, body, _ = c("GET", L, t["admin"], params={"kind": "tank"},
                        query={"bbox": "121.0,30.0,122.0,31.5"}, expect=200)
        if isinstance(body, dict) and not body.get("features"):
            fail("GET /api/v1/layers/tank?bbox=", "no tanks in a bbox around the park")
        c("GET", L, t["admin"], params={"kind": "tank"}, query={"bbox": "1,2,3"}, expect=400)
        c("GET", L, t["admin"], params={"kind": "tank"}, query={"bbox": "10,10,5,5"},
          expect=400)
        c("GET", L, t["admin"], params={"kind": "volcano"}, expect=404)
        st, body, _ = c("GET", L, t["e2"], params={"kind": "gas_detector"}, expect=200,
                        label="GET /api/v1/layers/gas_detector as E002")
        if isinstance(body, dict):
            ents = {f["properties"].get("enterprise", "") for f in body.get("features", [])}
            if ents - {"E002", ""} or not body.get("features"):
                fail("GET /api/v1/layers/gas_detector as E002", "enterprises %s" % ents)
        st, body, _ = c("GET", L, t["e2"], params={"kind": "all"}, expect=200,
                        label="GET /api/v1/layers/all as E002")
        if isinstance(body, dict):
            bad = [f["id"] for f in body.get("features", [])
                   if f["properties"].get("enterprise", "") not in ("E002", "")]
            if bad:
                fail("GET /api/v1/layers/all as E002", "other enterprises' features %s" %
                     bad[:5])
            leaked = [(f["id"], s) for f in body.get("features", [])
                      for s, v in (f["properties"].get("values") or {}).items()
                      if v is not None and not s.startswith("E002/")]
            if leaked:
                fail("GET /api/v1/layers/all as E002", "values of others' series %s" %
                     leaked[:3])
        c("GET", L, t["e2"], params={"kind": "tank"}, query={"enterprise": "E001"},
          expect=403, label="GET /api/v1/layers/tank?enterprise=E001 as E002")

    # -- alarms

    def alarms(self):
        c, t = self.c, self.t
        st, body, _ = c("GET", "/api/v1/alarms", t["admin"], expect=200)
        st, body, _ = c("GET", "/api/v1/alarms", t["regulator"], query={"enterprise": "E002"},
                        expect=200)
        if isinstance(body, dict) and any(a["enterprise"] != "E002"
                                          for a in body.get("alarms", [])):
            fail("GET /api/v1/alarms?enterprise=E002", "other enterprises' alarms")
        st, body, _ = c("GET", "/api/v1/alarms", t["e2"], expect=200,
                        label="GET /api/v1/alarms as E002")
        if isinstance(body, dict):
            ents = {a["enterprise"] for a in body.get("alarms", [])}
            if ents != {"E002"}:
                fail("GET /api/v1/alarms as E002", "enterprises %s, expected E002 only" % ents)

        st, body, _ = c("GET", "/api/v1/alarms/rules", t["admin"], expect=200)
        rules = {}
        if isinstance(body, dict):
            rules = {r["rule"]: r for r in body.get("rules", [])}
        self.rules = rules
        st, body, _ = c("GET", "/api/v1/alarms/rules", t["admin"],
                        query={"series": "E002/gd-03/lel"}, expect=200)
        if isinstance(body, dict):
            kinds = sorted(r["kind"] for r in body.get("rules", []))
            if not {"high", "high_high"} <= set(kinds) or any(
                    r["series"] != "E002/gd-03/lel" for r in body.get("rules", [])):
                fail("GET /api/v1/alarms/rules?series=E002/gd-03/lel", "kinds %s" % kinds)
        c("GET", "/api/v1/alarms/rules", t["e2"], query={"enterprise": "E001"},
          expect=403, label="GET /api/v1/alarms/rules?enterprise=E001 as E002")

        J = "/api/v1/alarms/journal"
        st, body, _ = c("GET", J, t["admin"], query={"from": "-15m"}, expect=200)
        if isinstance(body, dict):
            if not body.get("events"):
                fail("GET %s" % J, "no events although there are alarms")
            self.check_journal_limits(body.get("events", []), "GET %s" % J)
        st, body, _ = c("GET", J, t["admin"], query={"from": "-15m", "limit": "1"},
                        expect=200)
        if isinstance(body, dict) and not body.get("truncated"):
            fail("GET %s?limit=1" % J, "not truncated")
        c("GET", J, t["admin"], query={"from": "-15m", "series": "E002/gd-03/lel"},
          expect=200)
        c("GET", J, t["admin"], query={"limit": "0"}, expect=400)
        c("GET", J, t["admin"], query={"from": "noon"}, expect=400)
        c("GET", J, t["admin"], query={"from": "-1000d"}, expect=400)
        st, body, _ = c("GET", J, t["e2"], query={"from": "-15m"}, expect=200,
                        label="GET %s as E002" % J)
        if isinstance(body, dict):
            ents = {e["enterprise"] for e in body.get("events", [])}
            if ents != {"E002"}:
                fail("GET %s as E002" % J, "enterprises %s" % ents)

        K = "/api/v1/alarms/kpis"
        st, body, _ = c("GET", K, t["admin"], expect=200)
        if isinstance(body, dict) and body.get("alarms", 0) < 2:
            fail("GET %s" % K, "alarms %r" % body.get("alarms"))
        st, body, _ = c("GET", K, t["e2"], expect=200, label="GET %s as E002" % K)
        if isinstance(body, dict) and body.get("enterprise") != "E002":
            fail("GET %s as E002" % K, "enterprise %r" % body.get("enterprise"))
        c("GET", K, t["e2"], query={"enterprise": "E001"}, expect=403,
          label="GET %s?enterprise=E001 as E002" % K)
        # one rule for every list that takes ?enterprise= (the document says so)
        for lst, par in (("/api/v1/alarms", None), ("/api/v1/alarms/rules", None),
                         ("/api/v1/alarms/journal", None), ("/api/v1/ingest/dead-letters", None),
                         ("/api/v1/layers/{kind}", {"kind": "gas_detector"})):
            c("GET", lst, t["e2"], params=par, query={"enterprise": "E001"}, expect=403,
              label="GET %s?enterprise=E001 as E002" % lst)
        # the issue-16 overflow: INT64 limits are a 400, not a crash
        c("GET", K, t["e2"], query={"from": "-9223372036854775808", "to": "9223372036854775807"},
          expect=400, label="GET %s with INT64 limits" % K)
        c("GET", K, t["regulator"], query={"from": "-7d", "to": "now", "enterprise": "E001"},
          expect=200)
        c("GET", K, t["admin"], query={"to": "tomorrow"}, expect=400)

    def check_journal_limits(self, events, what):
        """Each journalled transition carries its rule's limit."""
        bad = [(e["rule"], e["limit"], self.rules[e["rule"]]["limit"]) for e in events
               if e["rule"] in self.rules and e["limit"] != self.rules[e["rule"]]["limit"]]
        if bad:
            warn(what, "%d of %d events carry a limit that is not their rule's, e.g. rule %d: "
                 "%r instead of %r (the journal record's flags byte overwrites the limit's top "
                 "byte: alerting/alerting.c encode_event)" % ((len(bad), len(events)) + bad[0]))

    def alarm_actions(self):
        c, t = self.c, self.t
        A = "/api/v1/alarms/{rule}/{action}"
        st, body, _ = c("GET", "/api/v1/alarms", t["admin"], expect=200,
                        label="GET /api/v1/alarms (rules to act on)")
        alarms = body.get("alarms", []) if isinstance(body, dict) else []
        e2 = [a for a in alarms if a["enterprise"] == "E002"]
        e1 = [a for a in alarms if a["enterprise"] == "E001"]
        if len(e2) < 2 or not e1:
            fail("alarm actions", "need 2 E002 alarms and an E001 one; have %d and %d" % (
                len(e2), len(e1)))
            return
        ra, rb, rc = e2[0]["rule"], e2[1]["rule"], e1[0]["rule"]
        c("POST", A, t["regulator"], params={"rule": ra, "action": "ack"}, expect=403,
          label="ack as regulator")
        c("POST", A, t["e2"], params={"rule": rc, "action": "ack"}, expect=404,
          label="ack of an E001 alarm as E002")
        c("POST", A, t["operator"], params={"rule": ra, "action": "ack"},
          body=json.dumps({"comment": "seen by the checker"}), expect={200, 409},
          label="ack as operator")
        st, body, _ = c("POST", A, t["operator"], params={"rule": ra, "action": "ack"},
                        expect=409, label="second ack as operator")
        self.expect_code("second ack", body, "conflict")
        c("POST", A, t["e2"], params={"rule": rb, "action": "ack"}, expect={200, 409},
          label="ack of its own alarm as E002")
        st, body, _ = c("POST", A, t["operator"], params={"rule": ra, "action": "shelve"},
                        body=json.dumps({"minutes": 30, "comment": "maintenance"}), expect=200,
                        label="shelve 30 minutes as operator")
        if isinstance(body, dict) and not (body.get("shelved") and
                                           body.get("shelved_until_ms", 0) > now_ms()):
            fail("shelve", "not shelved into the future: %s" % body)
        c("POST", A, t["admin"], params={"rule": ra, "action": "shelve"},
          body=json.dumps({"until_ms": now_ms() + 600000}), expect=200,
          label="shelve until_ms as admin")
        st, body, _ = c("GET", "/api/v1/alarms/rules", t["admin"],
                        query={"series": e2[0]["series"]}, expect=200,
                        label="GET /api/v1/alarms/rules (a shelved rule)")
        c("POST", A, t["operator"], params={"rule": ra, "action": "unshelve"}, expect=200,
          label="unshelve as operator")
        c("POST", A, t["operator"], params={"rule": ra, "action": "unshelve"}, expect=409,
          label="second unshelve")
        c("POST", A, t["operator"], params={"rule": ra, "action": "shelve"},
          body=json.dumps({"minutes": 5000}), expect=400, label="shelve for 83 hours")
        c("POST", A, t["operator"], params={"rule": ra, "action": "shelve"},
          body=json.dumps({"until_ms": 1000}), expect=400, label="shelve into the past")
        c("POST", A, t["operator"], params={"rule": ra, "action": "ack"}, body="{not json",
          expect=400, label="ack with a broken body")
        c("POST", A, t["operator"], params={"rule": ra, "action": "ack"}, body="[1,2]",
          expect=400, label="ack with an array body")
        c("POST", A, t["admin"], params={"rule": 99999999, "action": "ack"}, expect=404,
          label="ack of no rule")
        c("POST", A, t["admin"], params={"rule": ra, "action": "silence"}, expect=404,
          label="unknown action")
        c("POST", A, t["admin"], params={"rule": ra, "action": "ack"},
          body="{\"comment\": \"" + "x" * (MAX_BODY + 10) + "\"}", expect=413,
          label="ack with a body over max_body_bytes")
        c("GET", A, t["admin"], params={"rule": ra, "action": "ack"}, expect=405,
          label="GET on an alarm action", doc_method="POST")
        # the actions are journalled with their user
        st, body, _ = c("GET", "/api/v1/alarms/journal", t["admin"],
                        query={"from": "-15m", "series": e2[0]["series"]}, expect=200,
                        label="GET /api/v1/alarms/journal (after the actions)")
        if isinstance(body, dict):
            acts = {(e["action"], e["user"]) for e in body.get("events", [])}
            for want in (("shelve", "operator"), ("unshelve", "operator")):
                if want not in acts:
                    fail("journal after the actions", "no %s by %s in %s" % (want + (acts,)))

        # an operator's own limit (POST /alarms/rules/{rule}): set, seen, put back
        R = "/api/v1/alarms/rules/{rule}"
        st, body, _ = c("GET", "/api/v1/alarms/rules", t["admin"],
                        query={"series": "E002/gd-03/lel", "kind": "high"}, expect=200,
                        label="GET /api/v1/alarms/rules?kind=high (a rule to set)")
        high = (body.get("rules") or [None])[0] if isinstance(body, dict) else None
        st, body, _ = c("GET", "/api/v1/alarms/rules", t["admin"],
                        query={"series": "E002/gd-03/lel", "kind": "fault"}, expect=200,
                        label="GET /api/v1/alarms/rules?kind=fault")
        fault = (body.get("rules") or [None])[0] if isinstance(body, dict) else None
        if not high or not fault:
            fail(R, "no high and fault rules on E002/gd-03/lel to set")
            return
        rid = high["rule"]
        st, body, _ = c("POST", R, t["operator"], params={"rule": rid},
                        body=json.dumps({"limit": high["limit"] - 1, "comment": "calibration"}),
                        expect=200, label="set a limit by hand")
        if isinstance(body, dict) and (body.get("origin") != "manual" or
                                       body.get("limit") != high["limit"] - 1 or
                                       "calibration" not in body.get("basis", "")):
            fail("set a limit by hand", "answer %r" % body)
        c("POST", R, t["regulator"], params={"rule": rid}, body=json.dumps({"limit": 1}),
          expect=403, label="a regulator sets a limit")
        c("POST", R, t["e2"], params={"rule": rid}, body=json.dumps({"limit": 1}), expect=403,
          label="an enterprise sets a limit")
        c("POST", R, t["admin"], params={"rule": fault["rule"]}, body=json.dumps({"limit": 1}),
          expect=422, label="a fault alarm's limit")
        c("POST", R, t["admin"], params={"rule": rid}, body=json.dumps({"level": 1}),
          expect=400, label="an unknown member")
        c("POST", R, t["admin"], params={"rule": rid}, body=json.dumps({"priority": 9}),
          expect=400, label="priority 9")
        c("POST", R, t["admin"], params={"rule": rid}, body="{not json", expect=400,
          label="a broken body")
        c("POST", R, t["admin"], params={"rule": 99999999}, body=json.dumps({"limit": 1}),
          expect=404, label="no such rule")
        c("POST", R, t["admin"], params={"rule": rid}, body=json.dumps({"limit": high["limit"]}),
          expect=200, label="the limit put back")

    # -- streams

    def streams(self, collectors):
        api, t = self.api, self.t
        # the background alarm streams saw the incidents' transitions live
        for col in collectors:
            what = "GET /api/v1/alarms/stream (%s, in the background)" % col.label
            col.stop.set()
            col.join(5)
            if col.status != 200:
                fail(what, "status %r" % col.status)
                continue
            STATS["responses"] += 1
            SEEN.setdefault(("GET", "/api/v1/alarms/stream"), set()).add(200)
            op = self.doc.ops[("GET", "/api/v1/alarms/stream")]
            names = self.doc.deref(op["responses"]["200"])["content"][
                "text/event-stream"]["x-sse-events"]
            kinds = {}
            for name, data, eid in col.events:
                STATS["events"] += 1
                kinds[name] = kinds.get(name, 0) + 1
                if name not in names:
                    fail(what, "event %r is not documented" % name)
                    continue
                try:
                    inst = json.loads(data)
                except ValueError as e:
                    fail(what, "event %s: data not JSON: %s" % (name, e))
                    continue
                for e in self.doc.errors(names[name], inst):
                    fail(what, "event %s does not validate: %s" % (name, e))
                if name == "alarm":
                    if col.label == "E002" and inst.get("enterprise") != "E002":
                        fail(what, "an alarm of %s" % inst.get("enterprise"))
                    r = self.rules.get(inst.get("rule"))
                    if r and inst.get("limit") != r["limit"]:
                        fail(what, "live event of rule %d: limit %r, rule's %r" % (
                            inst["rule"], inst.get("limit"), r["limit"]))
                    if eid is None or str(inst.get("seq")) != eid:
                        fail(what, "alarm event id %r, seq %r" % (eid, inst.get("seq")))
            if not kinds.get("alarm") or not kinds.get("active"):
                fail(what, "events %s: expected active and alarm events" % kinds)

        AS = "/api/v1/alarms/stream"
        st, ev, _ = api.stream(AS, t["admin"], expect=200, max_events=1)
        if st == 200 and (not ev or ev[0][0] != "active" or not ev[0][1].get("alarms")):
            fail("GET %s" % AS, "the first event is not a non-empty active: %s" % ev[:1])
        st, ev, _ = api.stream(AS, query={"access_token": t["e2"]}, expect=401, max_events=1,
                               label="GET %s?access_token= (tokens never go in URLs)" % AS)
        _, tk, _ = api.call("POST", "/api/v1/stream-tickets", t["e2"], body={}, expect=201)
        st, ev, _ = api.stream(AS, query={"ticket": tk["ticket"]}, expect=200, max_events=1,
                               label="GET %s?ticket= as E002" % AS)
        if st == 200 and ev and ev[0][0] == "active":
            ents = {a["enterprise"] for a in ev[0][1]["alarms"]}
            if ents - {"E002"}:
                fail("GET %s as E002" % AS, "active alarms of %s" % ents)

        LS = "/api/v1/live/stream"
        st, ev, _ = api.stream(LS, t["admin"], query={
            "series": "E002/gd-03/lel,PARK/met-1/temp", "interval": "200ms"}, expect=200,
            max_events=1, seconds=5)
        if st == 200:
            if not ev or ev[0][0] != "values" or len(ev[0][1]["values"]) != 2:
                fail("GET %s" % LS, "no values event with both series: %s" % ev[:1])
            elif ev[0][2] != "1":
                fail("GET %s" % LS, "the first values event has id %r" % ev[0][2])
        st, ev, _ = api.stream(LS, t["e2"], query={"enterprise": "E002"}, expect=200,
                               max_events=1, seconds=4, label="GET %s?enterprise=E002 as E002"
                               % LS)
        if st == 200 and ev:
            bad = [v["series"] for v in ev[0][1]["values"] if not v["series"].startswith(
                "E002/")]
            if bad:
                fail("GET %s as E002" % LS, "values of %s" % bad[:3])
        api.stream(LS, t["admin"], query={"series": "E002/gd-03/lel", "interval": "100ms"},
                   expect=400)
        api.stream(LS, t["admin"], query={"series": "E002/gd-03/lel", "interval": "soon"},
                   expect=400)
        api.stream(LS, t["admin"], expect=400)
        api.stream(LS, t["admin"], query={"series": "E002/gd-03/none"}, expect=404)
        api.stream(LS, t["e2"], query={"series": "E001/gd-01/lel"}, expect=404,
                   label="GET %s E001 series as E002" % LS)
        api.stream(LS, t["e2"], query={"enterprise": "E001"}, expect=403,
                   label="GET %s?enterprise=E001 as E002" % LS)

        RS = "/api/v1/replay/state"
        st, body, _ = self.c("GET", RS, t["admin"], query={
            "at": "now", "series": "E002/gd-03/lel,PARK/met-1/temp,E002/x/unknown"},
            expect=200)
        if isinstance(body, dict) and len(body.get("values", [])) != 2:
            fail("GET %s" % RS, "unknown series not left out: %s" % body.get("values"))
        st, body, _ = self.c("GET", RS, t["e2"], query={"at": "-5s", "enterprise": "E002"},
                             expect=200, label="GET %s?enterprise=E002 as E002" % RS)
        if isinstance(body, dict):
            ents = {a["enterprise"] for a in body.get("alarms", [])}
            if ents - {"E002"}:
                fail("GET %s as E002" % RS, "alarms of %s" % ents)
        self.c("GET", RS, t["admin"], query={"series": "E002/gd-03/lel"}, expect=400)
        self.c("GET", RS, t["admin"], query={"at": "then", "series": "E002/gd-03/lel"},
               expect=400)
        self.c("GET", RS, t["admin"], query={"at": "now"}, expect=400)
        self.c("GET", RS, t["e2"], query={"at": "now", "enterprise": "E001"}, expect=403,
               label="GET %s?enterprise=E001 as E002" % RS)

        RP = "/api/v1/replay/stream"
        st, ev, s = api.stream(RP, t["admin"], query={
            "from": "-15m", "to": "now", "speed": "0", "series": "E002/gd-03/lel"},
            expect=200, max_events=100000, seconds=15,
            until=lambda evs: evs[-1][0] == "end", keep_open=True)
        if st == 200:
            names = [e[0] for e in ev]
            if not names or names[0] != "state" or names[-1] != "end":
                fail("GET %s" % RP, "events %s... %s: expected state first and end last" % (
                    names[:3], names[-3:]))
            for kind in ("point", "alarm"):
                if kind not in names:
                    fail("GET %s" % RP, "no %s events" % kind)
            ids = [int(e[2]) for e in ev if e[0] in ("point", "alarm")]
            if ids != list(range(1, len(ids) + 1)):
                fail("GET %s" % RP, "ids of point and alarm events are not 1..n")
            if ev and ev[-1][0] == "end" and ev[-1][1].get("events") != len(ids):
                fail("GET %s" % RP, "end says %r events, %d came" % (
                    ev[-1][1].get("events"), len(ids)))
            tss = [e[1]["ts"] if e[0] == "point" else e[1]["ts_ms"] for e in ev
                   if e[0] in ("point", "alarm")]
            if tss != sorted(tss):
                fail("GET %s" % RP, "events are not in time order")
            self.check_journal_limits([e[1] for e in ev if e[0] == "alarm"], "GET %s" % RP)
            if s is not None:
                if not s.ended(5):
                    fail("GET %s" % RP, "the server did not end the stream after end")
                s.close()
        st, ev, _ = api.stream(RP, t["e2"], query={"from": "-15m", "to": "now", "speed": "0",
                                                   "enterprise": "E002"},
                               expect=200, max_events=100000, seconds=15,
                               until=lambda evs: evs[-1][0] == "end",
                               label="GET %s?enterprise=E002 as E002" % RP)
        if st == 200:
            bad = {e[1]["enterprise"] for e in ev if e[0] == "alarm"} - {"E002"}
            bad |= {e[1]["series"].split("/")[0] for e in ev if e[0] == "point"} - {"E002"}
            if bad:
                fail("GET %s as E002" % RP, "events of %s" % bad)
        api.stream(RP, t["admin"], query={"from": "-2s", "to": "now", "speed": "1"},
                   expect=200, max_events=10, seconds=6,
                   until=lambda evs: evs[-1][0] == "end", label="GET %s paced" % RP)
        api.stream(RP, t["admin"], query={"to": "now"}, expect=400)
        api.stream(RP, t["admin"], query={"from": "-1m", "to": "now", "speed": "-1"},
                   expect=400)
        api.stream(RP, t["admin"], query={"from": "-1m", "to": "now", "speed": "fast"},
                   expect=400)
        api.stream(RP, t["admin"], query={"from": "now", "to": "-1m"}, expect=400)
        api.stream(RP, t["e2"], query={"from": "-1m", "to": "now", "series":
                                       "E001/gd-01/lel"}, expect=404,
                   label="GET %s E001 series as E002" % RP)
        api.stream(RP, t["e2"], query={"from": "-1m", "to": "now", "enterprise": "E001"},
                   expect=403, label="GET %s?enterprise=E001 as E002" % RP)

    def too_many_streams(self):
        """Holds streams open until the server refuses one (max_streams)."""
        api, t = self.api, self.t
        held = []
        got503 = False
        try:
            for i in range(MAX_STREAMS + 4):
                st, ev, s = api.stream("/api/v1/alarms/stream", t["admin"], expect={200, 503},
                                       max_events=1, seconds=3, keep_open=True,
                                       label="GET /api/v1/alarms/stream #%d" % (i + 1))
                if s is not None:
                    held.append(s)
                if st == 503:
                    got503 = True
                    break
            if not got503:
                fail("GET /api/v1/alarms/stream", "%d streams open and no 503 (max_streams "
                     "%d)" % (len(held), MAX_STREAMS))
            st, body, _ = self.c("GET", "/api/v1/live/stream", t["admin"],
                                 query={"series": "E002/gd-03/lel"}, expect=503,
                                 label="GET /api/v1/live/stream over max_streams")
        finally:
            for s in held:
                s.close()

    # -- ingest

    def ingest(self):
        c, t = self.c, self.t
        st, body, _ = c("GET", "/api/v1/ingest/status", t["admin"], expect=200)
        if isinstance(body, dict):
            ents = {e["enterprise"] for e in body.get("enterprises", [])}
            if not {"E001", "E002"} <= ents:
                fail("GET /api/v1/ingest/status", "no rejection rows of E001 and E002: %s" %
                     ents)
        st, body, _ = c("GET", "/api/v1/ingest/status", t["e2"], expect=200,
                        label="GET /api/v1/ingest/status as E002")
        if isinstance(body, dict):
            ents = {e["enterprise"] for e in body.get("enterprises", [])}
            if set(body) != {"enterprises"} or ents - {"E002"}:
                fail("GET /api/v1/ingest/status as E002", "members %s, enterprises %s" % (
                    sorted(body), ents))
        D = "/api/v1/ingest/dead-letters"
        st, body, _ = c("GET", D, t["regulator"], expect=200)
        if isinstance(body, dict) and body.get("count", 0) < 3:
            fail("GET %s" % D, "count %r, expected the 3 malformed messages" %
                 body.get("count"))
        st, body, _ = c("GET", D, t["admin"], query={"enterprise": "E001"}, expect=200)
        if isinstance(body, dict) and {d["enterprise"] for d in body.get(
                "dead_letters", [])} != {"E001"}:
            fail("GET %s?enterprise=E001" % D, "not E001's only")
        st, body, _ = c("GET", D, t["e2"], expect=200, label="GET %s as E002" % D)
        if isinstance(body, dict) and {d["enterprise"] for d in body.get(
                "dead_letters", [])} != {"E002"}:
            fail("GET %s as E002" % D, "not E002's only")
        V = "/api/v1/ingest/devices"
        st, body, _ = c("GET", V, t["operator"], expect=200)
        if isinstance(body, dict) and body.get("count", 0) < 100:
            fail("GET %s" % V, "count %r" % body.get("count"))
        st, body, _ = c("GET", V, t["e2"], expect=200, label="GET %s as E002" % V)
        if isinstance(body, dict):
            ents = {d["enterprise"] for d in body.get("devices", [])}
            if ents != {"E002"}:
                fail("GET %s as E002" % V, "enterprises %s" % ents)

        P = "/api/v1/ingest"
        payload = json.dumps({"ts": now_ms(), "values": {"FT99.flow": 12.5}})
        c("POST", P, t["regulator"], query={"enterprise": "E002"}, body=payload, expect=403,
          label="POST ingest as regulator")
        c("POST", P, t["operator"], query={"enterprise": "E002"}, body=payload, expect=403,
          label="POST ingest as operator")
        c("POST", P, t["e2"], query={"enterprise": "E001"}, body=payload, expect=403,
          label="POST ingest for E001 as E002")
        st, body, _ = c("POST", P, t["e2"], query={"device": "http-1"}, body=payload,
                        expect={200, 503}, label="POST ingest as E002")
        self.ingest_wired = st == 200
        if st == 503:
            warn("POST /api/v1/ingest", "503: this parkd does not provide HTTP ingest (the "
                 "submit callback); 200/400/422 not exercised")
        elif isinstance(body, dict) and body.get("accepted") != 1:
            fail("POST ingest as E002", "accepted %r, expected 1" % body.get("accepted"))
        alt = {200, 503} if not self.ingest_wired else None
        c("POST", P, t["admin"], query={"enterprise": "E002", "device": "http-2"},
          body=payload, expect=alt or 200, label="POST ingest as admin")
        c("POST", P, t["admin"], body=payload, expect={400, 503} if alt else 400,
          label="POST ingest without enterprise")
        c("POST", P, t["admin"], query={"enterprise": "E002", "device": "a/b"}, body=payload,
          expect={400, 503} if alt else 400, label="POST ingest with a bad device")
        c("POST", P, t["e2"], expect={400, 503} if alt else 400,
          label="POST ingest with no body")
        c("POST", P, t["e2"], body="{\"ts\": oops", expect={422, 503} if alt else 422,
          label="POST ingest of malformed JSON")
        c("POST", P, t["e2"], body=json.dumps({"ts": now_ms(), "values": {"x": "text"}}),
          expect={200, 422, 503} if alt else {200, 422},
          label="POST ingest of a string reading")
        c("POST", P, t["e2"], body="x" * (MAX_BODY + 1), expect=413,
          headers={"Content-Type": "text/plain"}, label="POST ingest over max_body_bytes")
        c("GET", P, t["admin"], expect=405, label="GET /api/v1/ingest", doc_method="POST")

    def admin_backup(self):
        """POST /api/v1/admin/backup: admin only, a name and never a path, one name once."""
        c, t = self.c, self.t
        B = "/api/v1/admin/backup"
        for role in ("operator", "regulator", "e2"):
            c("POST", B, t[role], body="{}", expect=403, label="POST %s as %s" % (B, role))
        for bad in ('{"name": "../x"}', '{"name": "a/b"}', '{"name": ".hidden"}',
                    '{"name": 5}', '[]', 'not json'):
            c("POST", B, t["admin"], body=bad, expect=400, label="POST %s %s" % (B, bad))
        st, body, _ = c("POST", B, t["admin"], body='{"name": "openapi-1"}', expect=200)
        if isinstance(body, dict) and not os.path.isfile(
                os.path.join(body.get("directory", ""), "backup.json")):
            fail("POST %s" % B, "no backup.json in %r" % body.get("directory"))
        c("POST", B, t["admin"], body='{"name": "openapi-1"}', expect=409,
          label="POST %s with a name taken" % B)
        c("POST", B, t["admin"], expect=200, label="POST %s without a body" % B)

    # -- across the document

    def every_operation_unauthenticated(self):
        """Every operation that needs a token answers 401 without one."""
        gsec = self.doc.doc.get("security", [])
        for (m, tpl), op in self.doc.ops.items():
            if op.get("security", gsec) == []:
                continue
            path = self.fill(tpl)
            if m == "GET" and tpl.endswith("/stream"):
                self.api.stream(tpl, expect=401,
                                label="%s %s without a token" % (m, path))
            else:
                self.api.call(m, tpl, params=self.example_params(tpl), expect=401,
                              body="{}" if m == "POST" else None,
                              label="%s %s without a token" % (m, path))
            self.api.call(m, tpl, params=self.example_params(tpl), expect=401,
                          auth_header="Bearer pw_ffffffffffffffff_forged",
                          body="{}" if m == "POST" else None,
                          label="%s %s with a forged token" % (m, path))

    def every_path_wrong_method(self):
        """Every path answers 405 to a method it does not document (but the document)."""
        for tpl in self.doc.path_templates():
            methods = {m for (m, p) in self.doc.ops if p == tpl}
            if tpl == "/api/v1/openapi.json":
                continue
            wrong = next(m for m in ("GET", "POST", "PUT") if m not in methods)
            path = self.fill(tpl)
            # the 405 is documented on the operations of the path
            st, hdrs, data = self.api.raw(wrong, path, self.t["admin"],
                                          body="{}" if wrong in ("POST", "PUT") else None)
            for m in methods:
                self.api.validate((m, tpl), "%s %s (wrong method)" % (wrong, path), st, hdrs,
                                  data, expect=405)
            st, hdrs, data = self.api.raw("DELETE", path, self.t["admin"])
            for m in methods:
                self.api.validate((m, tpl), "DELETE %s" % path, st, hdrs, data, expect=405)

    def every_path_served(self):
        """Every documented path is served (no "no endpoint" 404) with a documented status."""
        for (m, tpl), op in self.doc.ops.items():
            path = self.fill(tpl)
            if tpl.endswith("/stream"):
                st, body, _ = self.api.stream(tpl, self.t["admin"], query=self.example_query(
                    tpl), max_events=1, seconds=2, label="%s %s (served?)" % (m, path))
            else:
                st, body, _ = self.api.call(m, tpl, self.t["admin"],
                                            params=self.example_params(tpl),
                                            query=self.example_query(tpl),
                                            body="{}" if m == "POST" else None,
                                            label="%s %s (served?)" % (m, path))
            if st == 404 and isinstance(body, dict) and "no endpoint" in str(
                    body.get("error", {}).get("message", "")):
                fail("%s %s" % (m, tpl), "documented but not served (404 no endpoint)")

    def undocumented_paths(self):
        for method, path in [("GET", "/api/v1/"), ("GET", "/api/v1/nothing"),
                             ("GET", "/api/v1/series/"), ("GET", "/api/v1/series/points"),
                             ("GET", "/api/v1/alarms/active"), ("GET", "/api/v1/tokens"),
                             ("POST", "/api/v1/tokens"), ("GET", "/api/v1/ingest/queue"),
                             ("GET", "/api/v1/live"), ("GET", "/api/v1/replay"),
                             ("GET", "/api/v1/layers/"), ("GET", "/api/v1/whoami/x"),
                             ("GET", "/api/v2/series"), ("GET", "/"), ("GET", "/index.html"),
                             ("GET", "/metrics/x"), ("GET", "/api/v1/alarms/x/ack"),
                             ("GET", "/healthz/x")]:
            what = "%s %s (undocumented)" % (method, path)
            st, hdrs, data = self.api.raw(method, path, self.t["admin"])
            STATS["responses"] += 1
            if st != 404:
                fail(what, "status %d, expected 404" % st)
                continue
            try:
                body = json.loads(data)
            except ValueError:
                fail(what, "404 body is not JSON")
                continue
            for e in self.doc.errors(self.doc.doc["components"]["responses"]["NotFound"][
                    "content"]["application/json"]["schema"], body):
                fail(what, "404 does not validate: %s" % e)

    def route_table(self):
        """The route table as the program has it (parkd --routes), not as its source reads."""
        if getattr(self, "_routes", None) is None:
            out = subprocess.run([os.path.join(self.bindir, "parkd"), "--routes"],
                                 capture_output=True, text=True, timeout=30)
            self._routes = json.loads(out.stdout) if out.returncode == 0 else None
            if self._routes is None:
                fail("parkd --routes", "exit %d: %s" % (out.returncode, out.stderr[:200]))
        return self._routes

    def routes_in_table(self):
        """One source of truth: every row of parkd's route table is documented, and every
        documented operation is a row of the table."""
        tab = self.route_table()
        if not tab:
            return
        rows = {(r["method"], r["path"]) for r in tab["routes"]}
        if len(rows) < 20:
            fail("parkd --routes", "only %d routes" % len(rows))
        for m, p in sorted(rows):
            if (m, p) not in self.doc.ops:
                fail("parkd --routes", "route %s %s is served but not documented" % (m, p))
        for m, p in sorted(self.doc.ops):
            if (m, p) not in rows:
                fail("openapi.json", "%s %s is documented but not in the route table" % (m, p))

    def every_route_every_role(self):
        """Every route of the table as every role and without a token: 401 without one, 403
        for a role the matrix does not grant the route's capability, neither for one it
        does (generated from parkd --routes, so a new route is covered by itself)."""
        tab = self.route_table()
        if not tab:
            return
        roles = {"admin": "admin", "operator": "operator", "regulator": "regulator",
                 "enterprise": "e2"}
        for rt in tab["routes"]:
            m, tpl = rt["method"], rt["path"]
            if rt["label"] == "admin_backup":
                continue  # takes a real backup each time: admin_backup() covers it
            for role, key in list(roles.items()) + [(None, None)]:
                token = self.t[key] if key else None
                if rt["public"]:
                    want = None
                elif token is None:
                    want = {401}
                elif role in rt["roles"]:
                    want = None
                else:
                    want = {403}
                what = "%s %s as %s" % (m, tpl, role or "nobody")
                body = {} if m == "POST" else None
                if rt["stream"] and want is None:
                    st, _, _ = self.api.stream(tpl, token, query=self.example_query(tpl),
                                               max_events=1, seconds=1, label=what)
                else:
                    st, _, _ = self.api.call(m, tpl, token, params=self.example_params(tpl),
                                             query=self.example_query(tpl), body=body,
                                             label=what)
                if want is not None and st not in want:
                    fail(what, "status %s, the matrix says %s" % (st, sorted(want)))
                if want is None and st in (401, 403):
                    fail(what, "status %s, but the matrix grants %s" % (st, rt["capability"]))
        # the matrix itself: a capability no row of it lists reaches nobody
        granted = {c for caps in tab["matrix"].values() for c in caps}
        for rt in tab["routes"]:
            if not rt["public"] and rt["capability"] not in granted and rt["roles"]:
                fail("parkd --routes", "%s %s: capability %s is in no role's row, yet roles %s"
                     % (rt["method"], rt["path"], rt["capability"], rt["roles"]))

    def rate_limit(self):
        """A token that sends more than the limit gets 429 (a token of its own): four
        connections send requests until one is refused (or 30 s pass)."""
        got = []
        stop = threading.Event()
        deadline = time.time() + 30

        def hammer():
            conn = http.client.HTTPConnection("127.0.0.1", self.api.port, timeout=10)
            try:
                while not stop.is_set() and time.time() < deadline:
                    conn.request("GET", "/api/v1/whoami",
                                 headers={"Authorization": "Bearer " + self.t["burst"]})
                    r = conn.getresponse()
                    data = r.read()
                    if r.status != 200:
                        got.append((r.status, {k.lower(): v for k, v in r.getheaders()},
                                    data))
                        stop.set()
            except (OSError, http.client.HTTPException) as e:
                got.append(e)
                stop.set()
            finally:
                conn.close()

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(40)
        answers = [g for g in got if isinstance(g, tuple)]
        if not answers:
            fail("GET /api/v1/whoami (burst)", "no 429 in 30 s (rate limit %d/s): %s" % (
                RATE, got[:1]))
            return
        for a in answers:
            self.api.validate(("GET", "/api/v1/whoami"), "GET /api/v1/whoami (burst)", *a,
                              expect=429)

    # -- helpers

    EXAMPLES = {"rule": "0", "action": "ack", "kind": "tank", "id": "E001-HS1", "hazard": "1",
                "sha256": "0" * 64}

    def example_params(self, tpl):
        return {k: self.EXAMPLES.get(k, "x") for k in re.findall(r"\{([^}]+)\}", tpl)}

    def fill(self, tpl):
        p = tpl
        for k, v in self.example_params(tpl).items():
            p = p.replace("{%s}" % k, v)
        return p

    def example_query(self, tpl):
        q = {"/api/v1/series/raw": {"series": "E002/gd-03/lel"},
             "/api/v1/series/range": {"series": "E002/gd-03/lel"},
             "/api/v1/last": {"enterprise": "E002"},
             "/api/v1/live/stream": {"series": "E002/gd-03/lel"},
             "/api/v1/replay/state": {"at": "now", "enterprise": "E002"},
             "/api/v1/replay/stream": {"from": "-1s", "to": "now", "speed": "0",
                                       "series": "E002/gd-03/lel"},
             "/api/v1/ingest": {"enterprise": "E002"},
             "/query": {"q": "SHOW DATABASES"},
             "/api/v1/aggregate": {"enterprise": "E002", "agg": "max", "group_by": "device",
                                   "from": "-10m"},
             "/prom/api/v1/query": {"query": "max by (enterprise) (lel)"},
             "/prom/api/v1/query_range": {"query": "max_over_time(lel[1m])", "start": "-10m",
                                          "end": "now", "step": "60"},
             "/prom/api/v1/series": {"match[]": '{enterprise="E002"}'},
             "/prom/api/v1/export": {"match[]": '{enterprise="E002"}', "start": "-1m"},
             "/prom/api/v1/query_exemplars": {"query": "lel"}}
        return q.get(tpl)

    # -- the views (risk, environment, emergency) and incidents

    def influx(self):
        """The InfluxDB 1.x routes: each answers in its documented shape, with
        X-Influxdb-Version (test_influx.c checks what they store)."""
        c, t = self.c, self.t
        c("GET", "/ping", expect=204)
        c("GET", "/ping", query={"verbose": "true"}, expect=200)
        lp = "tank,device=influx-1 level=1.5 %d\n" % (now_ms() * 1000000)
        _, _, h = c("POST", "/write", t["e2"], query={"db": "telegraf"}, body=lp,
                    headers={"Content-Type": "text/plain; charset=utf-8"}, expect=204)
        if h.get("x-influxdb-version") is None:
            fail("POST /write", "no X-Influxdb-Version")
        c("POST", "/write", t["e2"], query={"db": "E001"}, body=lp, expect=403,
          label="POST /write to E001 as E002")
        c("POST", "/write", t["admin"], query={"db": "nothing"}, body=lp, expect=404,
          label="POST /write to an unknown database")
        c("POST", "/write", t["e2"], query={"precision": "d"}, body=lp, expect=400,
          label="POST /write with a bad precision")
        c("POST", "/write", None, body=lp, expect=401, label="POST /write without a token",
          auth_header="Token pw_ffffffffffffffff_forged")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        c("POST", "/query", t["e2"], body="q=CREATE+DATABASE+%22telegraf%22", headers=form,
          expect=200)
        st, body, _ = c("GET", "/query", t["admin"], query={"q": "SHOW DATABASES"}, expect=200)
        if isinstance(body, dict):
            vals = body["results"][0].get("series", [{}])[0].get("values", [])
            if ["E001"] not in vals or ["E002"] not in vals:
                fail("SHOW DATABASES", "no E001 and E002: %s" % vals)
        c("GET", "/query", t["admin"], query={"q": "SELECT * FROM cpu"}, expect=400)

    def handover(self):
        """Shift handover: a draft, signed by one officer, refused without a
        reason (400) and by the signer (400), refused with one, a corrected
        record accepted by another; scopes and roles kept apart."""
        t, c = self.t, self.c
        H, A = "/api/v1/handovers", "/api/v1/handovers/{id}/{action}"
        st, body, _ = c("GET", H + "/draft", t["operator"], query={"scope": "E002"}, expect=200,
                        label="GET /api/v1/handovers/draft?scope=E002")
        if isinstance(body, dict) and body.get("scope") != "E002":
            fail("handover draft", "scope %r" % body.get("scope"))
        c("GET", H + "/draft", t["e2"], query={"scope": "E001"}, expect=403,
          label="an enterprise's draft of another enterprise")
        c("GET", H + "/draft", t["admin"], query={"scope": "E 1"}, expect=400,
          label="a draft of a malformed scope")
        st, rec, _ = c("POST", H, t["operator"], body=json.dumps({"scope": "E002", "notes": "n"}),
                       expect=201, label="sign a handover")
        hid = rec.get("id") if isinstance(rec, dict) else None
        if not hid or rec.get("outgoing") != "operator" or rec.get("state") != "open":
            fail("sign a handover", "answer %r" % rec)
            return
        c("POST", H, t["e2"], body="{}", expect=409, label="a second open handover of E002")
        c("POST", H, t["e2"], body=json.dumps({"scope": "E001"}), expect=403,
          label="an enterprise signs for another")
        c("POST", H, t["regulator"], body="{}", expect=403, label="a regulator signs")
        c("POST", H, t["operator"], body=json.dumps({"notes": 5}), expect=400,
          label="notes not a string")
        c("POST", A, t["operator"], params={"id": hid, "action": "accept"}, body="{}",
          expect=400, label="the signer accepts their own handover")
        c("POST", A, t["e2"], params={"id": hid, "action": "refuse"}, body="{}", expect=400,
          label="a refusal without its reason")
        st, body, _ = c("POST", A, t["e2"], params={"id": hid, "action": "refuse"},
                        body=json.dumps({"reason": "T102 alarm cause unclear"}), expect=200,
                        label="refuse a handover")
        if isinstance(body, dict) and (body.get("state"), body.get("incoming")) != ("refused",
                                                                                     "e2"):
            fail("refuse a handover", "answer %r" % body)
        c("POST", A, t["admin"], params={"id": hid, "action": "accept"}, body="{}", expect=409,
          label="accept a refused handover")
        st, rec2, _ = c("POST", H, t["e2"], body="{}", expect=201,
                        label="sign a corrected handover (the enterprise's own)")
        hid2 = rec2.get("id") if isinstance(rec2, dict) else None
        if hid2:
            st, body, _ = c("POST", A, t["admin"], params={"id": hid2, "action": "accept"},
                            body=json.dumps({"notes": "ok"}), expect=200,
                            label="accept a handover")
            if isinstance(body, dict) and body.get("state") != "accepted":
                fail("accept a handover", "answer %r" % body)
        c("POST", A, t["admin"], params={"id": hid, "action": "sign"}, body="{}", expect=404,
          label="an unknown handover action")
        c("GET", H + "/{id}", t["admin"], params={"id": 999999}, expect=404,
          label="no such handover")
        c("GET", H + "/{id}", t["regulator"], params={"id": hid}, expect=200,
          label="a regulator reads a handover")
        st, body, _ = c("GET", H, t["e2"], expect=200, label="an enterprise's handovers")
        if isinstance(body, dict) and any(h.get("scope") != "E002" for h in body["handovers"]):
            fail("an enterprise's handovers", "another scope in %r" % body)
        c("GET", H, t["regulator"], query={"limit": "0"}, expect=400, label="limit 0")

    def views(self):
        c, t = self.c, self.t
        V = "/api/v1/views"
        st, body, _ = c("GET", V + "/risk", t["regulator"], expect=200)
        feats = body.get("features", []) if isinstance(body, dict) else []
        if not feats:
            fail("GET %s/risk" % V, "no hazard sources")
        for f in feats:
            r = f["properties"]["risk"]
            grade = 0 if not r["major"] else (1 if r["R"] >= 100 else 2 if r["R"] >= 50 else
                                              3 if r["R"] >= 10 else 4)
            if r["grade"] != grade:
                fail("GET %s/risk" % V, "%s: R %s gives grade %d, not %d" % (
                    f["id"], r["R"], grade, r["grade"]))
        st, body, _ = c("GET", V + "/risk", t["e2"], expect=200, label="GET risk as E002")
        if isinstance(body, dict) and any(f["properties"].get("enterprise") != "E002"
                                          for f in body.get("features", [])):
            fail("GET %s/risk as E002" % V, "another enterprise's sources")
        c("GET", V + "/risk", t["admin"], query={"at": "yesterday"}, expect=400)
        RS = V + "/risk/{id}"
        st, body, _ = c("GET", RS, t["admin"], params={"id": "E001-HS1"},
                        query={"from": "-1h", "step": "10m"}, expect=200)
        c("GET", RS, t["e2"], params={"id": "E001-HS1"}, expect=404,
          label="GET E001's hazard source as E002")
        c("GET", RS, t["admin"], params={"id": "nothing"}, expect=404)
        c("GET", RS, t["admin"], params={"id": "E001-HS1"}, query={"step": "soon"}, expect=400)
        st, body, _ = c("GET", V + "/aqi", t["regulator"], expect=200)
        if isinstance(body, dict) and not body.get("features"):
            fail("GET %s/aqi" % V, "no stations")
        c("GET", V + "/aqi", t["admin"], query={"at": "then"}, expect=400)
        st, body, _ = c("GET", V + "/idw", t["operator"],
                        query={"pollutant": "PM2_5", "nx": "20", "ny": "10"}, expect=200)
        if isinstance(body, dict) and len(body.get("features", [])) != 200:
            fail("GET %s/idw" % V, "%d cells, expected 200" % len(body.get("features", [])))
        c("GET", V + "/idw", t["operator"], query={"pollutant": "smoke"}, expect=400)
        c("GET", V + "/idw", t["operator"], query={"nx": "600"}, expect=400)
        c("GET", V + "/toxic", t["regulator"], expect=200)
        c("GET", V + "/toxic", t["admin"], query={"at": "?"}, expect=400)
        I = "/api/v1/incidents"
        st, body, _ = c("POST", I, t["operator"], body=json.dumps(
            {"tank": "E001-T101", "release_kg_s": 2.5, "note": "check"}), expect=201)
        iid = body["incident"]["id"] if isinstance(body, dict) else "INC-1"
        if isinstance(body, dict) and not any(z.get("polygon") for z in body.get("zones", [])):
            fail("POST %s" % I, "no footprint for a 2.5 kg/s propane release")
        c("POST", I, t["regulator"], body=json.dumps({"tank": "E001-T101", "release_kg_s": 1}),
          expect=403, label="POST incident as regulator")
        c("POST", I, t["e2"], body=json.dumps({"tank": "E001-T101", "release_kg_s": 1}),
          expect=400, label="POST incident on E001's tank as E002")
        c("POST", I, t["operator"], body="{not json", expect=400)
        c("POST", I, t["operator"], body=json.dumps({"lon": 121.5, "lat": 30.8}), expect=400)
        c("GET", I, t["regulator"], expect=200)
        IT = I + "/{id}"
        c("GET", IT, t["regulator"], params={"id": iid}, expect=200)
        c("GET", IT, t["regulator"], params={"id": iid}, query={"at": "-1d"}, expect=200)
        c("GET", IT, t["e2"], params={"id": iid}, expect=404, label="GET E001's incident as E002")
        c("GET", IT, t["admin"], params={"id": "INC-99999"}, expect=404)
        c("GET", IT, t["admin"], params={"id": iid}, query={"at": "never"}, expect=400)
        # plans and the command of the incident (issue 22)
        c("GET", "/api/v1/plans", t["regulator"], expect=200)
        CM = IT + "/command"
        st, body, _ = c("GET", CM, t["regulator"], params={"id": iid}, expect=200)
        if isinstance(body, dict):
            pr = body.get("proposal") or {}
            if pr.get("plan") != "P-FLAMMABLE" or body.get("active"):
                fail("GET %s" % CM, "propylene at E001: proposal %s, active %s"
                     % (pr.get("plan"), body.get("active")))
        c("POST", CM, t["regulator"], params={"id": iid}, body=json.dumps({"action": "activate"}),
          expect=403, label="activate a plan as regulator")
        c("POST", CM, t["e2"], params={"id": iid}, body=json.dumps({"action": "activate"}),
          expect=404, label="activate E001's incident's plan as E002")
        st, body, _ = c("POST", CM, t["operator"], params={"id": iid},
                        body=json.dumps({"action": "activate", "drill": True}), expect=200)
        if isinstance(body, dict) and not (body.get("active") and body.get("drill")
                                           and body.get("tasks")):
            fail("POST %s" % CM, "activated drill without tasks: %s" % str(body)[:200])
        c("POST", CM, t["operator"], params={"id": iid}, body=json.dumps({"action": "activate"}),
          expect=409, label="activate twice")
        c("POST", CM, t["operator"], params={"id": iid},
          body=json.dumps({"action": "task", "task": "S1", "state": "acknowledged"}), expect=200)
        c("POST", CM, t["operator"], params={"id": iid},
          body=json.dumps({"action": "task", "task": "S1", "state": "lost"}), expect=400)
        c("POST", CM, t["operator"], params={"id": iid},
          body=json.dumps({"action": "task", "task": "S99", "state": "done"}), expect=404)
        c("POST", CM, t["operator"], params={"id": iid}, body=json.dumps(
            {"action": "level", "level": 1, "reason": "check"}), expect=200)
        c("POST", CM, t["operator"], params={"id": iid}, body=json.dumps(
            {"action": "log", "kind": "message", "text": "check"}), expect=200)
        c("POST", CM, t["operator"], params={"id": iid}, body=json.dumps({"action": "dance"}),
          expect=400)
        c("POST", CM, t["operator"], params={"id": iid}, body="{not json", expect=400)
        c("POST", CM, t["operator"], params={"id": "INC-99999"},
          body=json.dumps({"action": "log", "kind": "message", "text": "x"}), expect=404)
        c("GET", CM, t["regulator"], params={"id": iid}, query={"at": "-1d"}, expect=200)
        c("GET", CM, t["regulator"], params={"id": iid}, query={"at": "never"}, expect=400)
        # the response's resources and their status
        st, body, _ = c("GET", "/api/v1/resources", t["regulator"], expect=200)
        if isinstance(body, dict) and len(body.get("resources", [])) != 11:
            fail("GET /api/v1/resources", "%d resources, the demo park has 11"
                 % len(body.get("resources", [])))
        RS = "/api/v1/resources/{id}/status"
        st, body, _ = c("POST", RS, t["operator"], params={"id": "PARK-TEAM-F1"}, body=json.dumps(
            {"status": "deployed", "available": 20, "incident": iid}), expect=200)
        if isinstance(body, dict):
            tf = [x for x in body.get("resources", []) if x.get("id") == "PARK-TEAM-F1"]
            if not tf or tf[0].get("status") != "deployed" or tf[0].get("incident") != iid:
                fail("POST %s" % RS, "PARK-TEAM-F1 not deployed to %s: %s" % (iid, tf))
        c("POST", RS, t["regulator"], params={"id": "PARK-TEAM-F1"},
          body=json.dumps({"status": "available"}), expect=403, label="resource status as regulator")
        c("POST", RS, t["e2"], params={"id": "PARK-TEAM-F1"},
          body=json.dumps({"status": "available"}), expect=403,
          label="a park resource's status as E002")
        c("POST", RS, t["operator"], params={"id": "PARK-G1"},
          body=json.dumps({"status": "available"}), expect=404, label="a gate's status")
        c("POST", RS, t["operator"], params={"id": "PARK-TEAM-F1"},
          body=json.dumps({"status": "available", "available": 99}), expect=400)
        c("POST", RS, t["operator"], params={"id": "PARK-TEAM-F1"}, body="{not json", expect=400)
        c("GET", "/api/v1/resources", t["regulator"], query={"at": "-1d"}, expect=200)
        c("GET", "/api/v1/resources", t["regulator"], query={"at": "never"}, expect=400)
        IC = IT + "/close"
        c("POST", IC, t["regulator"], params={"id": iid}, expect=403,
          label="close an incident as regulator")
        c("POST", IC, t["operator"], params={"id": iid}, expect=200)
        c("POST", IC, t["operator"], params={"id": iid}, expect=409)
        c("POST", IC, t["operator"], params={"id": "INC-99999"}, expect=404)
        # threat zones (issue 22): a what-if every reader may run; an enterprise of its own tanks
        TZ = "/api/v1/threat-zones"
        st, body, _ = c("POST", TZ, t["regulator"], body=json.dumps(
            {"model": "vce", "tank": "E001-T101", "mass_kg": 2000}), expect=200)
        if isinstance(body, dict):
            d = [z.get("distance_m", 0) for z in body.get("zones", [])]
            if len(d) != 3 or not (0 < d[0] < d[1] < d[2]):
                fail("POST %s" % TZ, "vce zones not red < orange < yellow: %s" % d)
            if not all(z.get("polygon") for z in body.get("zones", [])):
                fail("POST %s" % TZ, "a vce zone without its polygon")
        c("POST", TZ, t["e2"], body=json.dumps(
            {"model": "bleve", "lon": 121.4215, "lat": 30.7816, "substance": "propane",
             "mass_kg": 1000}), expect=200, label="threat zones of a point as E002")
        c("POST", TZ, t["e2"], body=json.dumps({"model": "vce", "tank": "E001-T101", "mass_kg": 5}),
          expect=400, label="threat zones of E001's tank as E002")
        c("POST", TZ, t["operator"], body=json.dumps(
            {"model": "pool_fire", "tank": "E001-T101", "pool_area_m2": 400}), expect=200)
        c("POST", TZ, t["admin"], body=json.dumps(
            {"model": "jet_fire", "tank": "E001-T101", "release_kg_s": 2}), expect=200)
        c("POST", TZ, t["admin"], body=json.dumps(
            {"model": "dense_gas", "tank": "E001-T101", "substance": "chlorine",
             "release_kg_s": 1, "release_temp_k": 239.1}), expect=200)
        c("POST", TZ, t["admin"], body=json.dumps({"model": "nuke"}), expect=400)
        c("POST", TZ, t["admin"], body=json.dumps({"model": "vce", "tank": "E001-T101"}),
          expect=400, label="vce without its mass")
        c("POST", TZ, t["admin"], body="{not json", expect=400)
        c("POST", TZ, t["admin"], query={"at": "never"}, body=json.dumps(
            {"model": "vce", "tank": "E001-T101", "mass_kg": 5}), expect=400)

    # -- risk units (riskunits/)

    def risk_units(self):
        """Risk units: created (JSON) and imported (CSV) by who may, refused with the line
        and column named, scoped for an enterprise token, on the four-colour map."""
        c, t = self.c, self.t
        R = "/api/v1/risk-units"
        sq = [[121.421, 30.781], [121.422, 30.781], [121.422, 30.782], [121.421, 30.781]]
        unit = {"id": "E002-RU1", "enterprise": "E002", "name": "Tank area", "kind": "tank_area",
                "geometry": {"type": "Polygon", "coordinates": [sq]},
                "assets": ["E002-T101"], "method": "LEC", "l": 3, "e": 6, "c": 15,
                "assessor": "openapi_check"}
        st, body, _ = c("POST", R, t["e2"], body=json.dumps(unit), expect=200,
                        label="POST risk-units as E002")
        if isinstance(body, dict) and (body.get("level"), body.get("colour")) != (
                "large", "orange"):
            fail("POST %s" % R, "D = 3 x 6 x 15 = 270 is large/orange, got %s/%s" % (
                body.get("level"), body.get("colour")))
        other = dict(unit, id="E001-RU1", enterprise="E001")
        c("POST", R, t["e2"], body=json.dumps(other), expect=403, label="POST E001's as E002")
        c("POST", R, t["regulator"], body=json.dumps(other), expect=403,
          label="POST risk-units as regulator")
        c("POST", R, t["operator"], body=json.dumps(dict(other, l=2)), expect=400,
          label="POST risk-units, L not in the table")
        c("POST", R, t["operator"], body=json.dumps(other), expect=200)
        csv = ("id,enterprise,name,kind,lon,lat,method,l,s,assessor\n"
               "E001-RU2,E001,Warehouse,warehouse,121.43,30.79,LS,3,3,openapi_check\n")
        hdr = {"Content-Type": "text/csv"}
        c("POST", R + "/import", t["admin"], body=csv, headers=hdr, expect=200)
        st, body, _ = c("POST", R + "/import", t["admin"], body=csv.replace(",3,3,", ",3,9,"),
                        headers=hdr, expect=400, label="POST risk-units/import, S = 9")
        if isinstance(body, dict) and "line 2, column 9" not in body.get("error", {}).get(
                "message", ""):
            fail("POST %s/import" % R, "the error does not name line 2, column 9: %s" % body)
        st, body, _ = c("GET", R, t["e2"], expect=200, label="GET risk-units as E002")
        if isinstance(body, dict) and [u["id"] for u in body.get("units", [])] != ["E002-RU1"]:
            fail("GET %s as E002" % R, "sees %s" % [u["id"] for u in body.get("units", [])])
        c("GET", R, t["regulator"], query={"level": "large", "enterprise": "E001"}, expect=200)
        c("GET", R, t["regulator"], query={"level": "red"}, expect=400)
        st, body, _ = c("GET", R + "/map", t["regulator"], expect=200)
        if isinstance(body, dict) and len(body.get("features", [])) < 3:
            fail("GET %s/map" % R, "%d features, 3 units" % len(body.get("features", [])))
        c("GET", R + "/{id}", t["regulator"], params={"id": "E001-RU2"},
          query={"at": "now"}, expect=200)
        c("GET", R + "/{id}", t["e2"], params={"id": "E001-RU2"}, expect=404,
          label="GET E001's unit as E002")
        c("GET", R + "/{id}", t["regulator"], params={"id": "E001-RU2"}, query={"at": "x"},
          expect=400)
    # ---- issue 21: special work, cameras, the event store ----
    def special_work_and_cameras(self):
        """Special-work permits filed, started, gas-tested and read by role and enterprise;
        a camera event with its snapshot posted through /events and the snapshot read back
        (enterprise scope); the event store by entity and the permits' state at a time."""
        c, t = self.api.call, self.t
        P = "/api/v1/permits"
        now = int(time.time() * 1000)
        permit = {"category": "hot_work", "grade": "2", "enterprise": "E002",
                  "location": {"type": "Point", "coordinates": [121.43, 30.79]},
                  "window_from_ms": now - 60000, "window_to_ms": now + 2 * 3600000,
                  "content": "weld a support bracket", "leader": "Wu Fang", "guardian": "Li Ming"}
        st, pm, _ = c("POST", P, t["e2"], body=json.dumps(permit), expect=201)
        pid = pm["id"] if st == 201 else "E002-00000000-0001"
        c("POST", P, t["e2"], body=json.dumps(dict(permit, enterprise="E001")), expect=403,
          label="file a permit for E001 as E002")
        c("POST", P, t["regulator"], body=json.dumps(permit), expect=403)
        c("POST", P, t["operator"], body=json.dumps(dict(permit, window_to_ms=now + 80 * 3600000)),
          expect=400, label="a grade 2 hot work permit of 80 h (72 h at most)")
        c("POST", P, t["operator"], body=json.dumps(dict(permit, category="welding")), expect=400)
        PI, PA, PG = P + "/{permit}", P + "/{permit}/{action}", P + "/{permit}/gas-tests"
        c("GET", PI, t["regulator"], params={"permit": pid}, expect=200)
        c("GET", PI, t["admin"], params={"permit": "E002-19990101-0001"}, expect=404)
        c("POST", PG, t["e2"], params={"permit": pid}, body=json.dumps(
            {"ts_ms": now, "point": "bracket", "analyst": "Zhao Lei", "gas": "methane",
             "combustible_pct_vol": 0.3}), expect=201)
        c("POST", PA, t["e2"], params={"permit": pid, "action": "start"}, expect=200)
        c("POST", PA, t["e2"], params={"permit": pid, "action": "start"}, expect=409,
          label="start an active permit")
        c("POST", PA, t["regulator"], params={"permit": pid, "action": "close"}, expect=403)
        c("GET", P, t["regulator"], query={"state": "active"}, expect=200)
        c("GET", P + "/map", t["e2"], expect=200)
        c("GET", P + "/stats", t["regulator"], expect=200)
        # the permit's record in the event store, and its state at now
        st, evs, _ = c("GET", "/api/v1/events", t["admin"], query={"entity": "permit:" + pid},
                       expect=200)
        if st == 200 and len(evs.get("events", [])) < 2:
            fail("GET /api/v1/events?entity=permit:%s" % pid, "%r" % evs)
        st, sts, _ = c("GET", "/api/v1/events/state", t["regulator"],
                       query={"type": "permit", "at": str(int(time.time() * 1000) + 1000)},
                       expect=200)
        # a camera event with a snapshot: E002's camera, posted by E002
        cams = c("GET", "/api/v1/cameras", t["e2"], expect=200)[1] or {}
        cam = next((x for x in cams.get("cameras", []) if x.get("enterprise") == "E002"), None)
        if cam is None:
            fail("GET /api/v1/cameras as E002", "no camera of E002 in the layout")
            return 1
        jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 64 + b"\xff\xd9").decode()
        ev = {"type": "camera", "ts": now, "camera": cam["id"], "event": "no_helmet",
              "confidence": 0.91, "snapshot": jpeg}
        c("POST", "/api/v1/events", t["e2"], body=json.dumps(ev), expect=202)
        c("POST", "/api/v1/events", t["e2"], body=json.dumps(dict(ev, snapshot="R0lGODlh")),
          expect=400, label="a GIF snapshot")
        c("POST", "/api/v1/events", t["regulator"], body=json.dumps(ev), expect=403)
        st, ce, _ = c("GET", "/api/v1/camera-events", t["e2"], query={"camera": cam["id"]},
                      expect=200)
        snap = None
        for e in (ce or {}).get("events", []) if st == 200 else []:
            snap = (e.get("snapshot") or {}).get("sha256") or snap
        if not snap:
            fail("GET /api/v1/camera-events", "no snapshot in %r" % ce)
            return 1
        S = "/api/v1/camera-events/snapshots/{sha256}"
        c("GET", S, t["e2"], params={"sha256": snap}, expect=200)
        c("GET", S, t["operator"], params={"sha256": snap}, expect=200)
        c("GET", S, t["e2"], params={"sha256": "0" * 64}, expect=404)
        return 1

    def hazards(self):
        """The hidden-hazard register: report, the steps in order and out of it, roles and
        enterprises, evidence (too large, wrong type, good; a body over the API's own limit but
        within the attachment limit passes), statistics, criteria, the journal, ?at=."""
        c, t = self.api.call, self.t
        H = "/api/v1/hazards"
        st, h, _ = c("POST", H, t["e2"], body=json.dumps(
            {"title": "Flange leak at the loading arm", "criteria": [7], "lon": 121.5,
             "lat": 30.8, "location": "loading bay"}), expect=201)
        hid = h["id"] if st == 201 else 1
        if st == 201 and h["grade"] != "major":
            fail("POST /api/v1/hazards", "criterion 7 cited, grade %s" % h["grade"])
        c("POST", H, t["e2"], body=json.dumps({"enterprise": "E001", "title": "x"}), expect=403,
          label="report for E001 as E002")
        c("POST", H, t["regulator"], body=json.dumps({"title": "x"}), expect=403)
        c("POST", H, t["operator"], body=json.dumps({"enterprise": "E002"}), expect=400,
          label="report without a title")
        c("POST", H, t["operator"], body=json.dumps({"enterprise": "E002", "title": "x",
                                                      "criteria": [21]}), expect=400)
        HI, HA = H + "/{hazard}", H + "/{hazard}/{action}"
        p = {"hazard": hid}
        c("GET", HI, t["regulator"], params=p, expect=200)
        c("GET", HI, t["admin"], params={"hazard": 999999}, expect=404)
        c("POST", HA, t["operator"], params=dict(p, action="close"), expect=409,
          label="close a reported hazard")
        c("POST", HA, t["operator"], params=dict(p, action="assign"),
          body=json.dumps({"assignee": "park-sun"}), expect=400, label="assign to the park")
        c("POST", HA, t["operator"], params=dict(p, action="assign"),
          body=json.dumps({"assignee": "e002-wu", "deadline_ms": 1000}), expect=400,
          label="assign with a past deadline")
        c("POST", HA, t["regulator"], params=dict(p, action="assign"), expect=403)
        c("POST", HA, t["e2"], params=dict(p, action="assign"),
          body=json.dumps({"assignee": "e002-wu", "deadline_ms": int(time.time() * 1000) + 1500,
                           "measures": "replace gasket", "funds": "2000 CNY"}), expect=200)
        HAT = H + "/{hazard}/attachments"
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_BODY + 100)  # over max_body_bytes
        c("POST", HAT, t["e2"], params=p, query={"name": "after.png"}, body=png,
          headers={"Content-Type": "image/png"}, expect=201)
        c("POST", HAT, t["e2"], params=p, query={"name": "x.gif"}, body=b"GIF89a" + b"\0" * 10,
          headers={"Content-Type": "image/gif"}, expect=415)
        c("POST", HAT, t["e2"], params=p, query={"name": "big.png"},
          body=png + b"\0" * (2 * MAX_BODY), headers={"Content-Type": "image/png"}, expect=413)
        c("POST", HAT, t["e2"], params=p, body=png, headers={"Content-Type": "image/png"},
          expect=400, label="attachment without a name")
        import hashlib
        sha = hashlib.sha256(png).hexdigest()
        HG = HAT + "/{sha256}"
        st, _, hd = c("GET", HG, t["regulator"], params=dict(p, sha256=sha), expect=200)
        c("GET", HG, t["regulator"], params=dict(p, sha256="0" * 64), expect=404)
        c("POST", HA, t["e2"], params=dict(p, action="rectify"), body=json.dumps({"note": "done"}),
          expect=200)
        c("POST", HA, t["e2"], params=dict(p, action="verify"), expect=403,
          label="verify by the rectifier")
        c("POST", HA, t["operator"], params=dict(p, action="reject"),
          body=json.dumps({"note": "still leaking"}), expect=200)
        c("POST", HA, t["operator"], params=dict(p, action="verify"), expect=409,
          label="verify an unrectified hazard")
        time.sleep(1.6)  # past the deadline: overdue, escalated to the park
        st, lst, _ = c("GET", H, t["regulator"], query={"overdue": "true"}, expect=200)
        if st == 200 and not any(x["id"] == hid for x in lst["hazards"]):
            fail("GET /api/v1/hazards?overdue=true", "hazard %s not listed" % hid)
        # the shift hands it over: E002's draft lists it, the park's too
        for tok, scope in ((t["e2"], "E002"), (t["operator"], "PARK")):
            st, d, _ = c("GET", "/api/v1/handovers/draft", tok, query={"scope": scope},
                         expect=200, label="handover draft of %s with an overdue hazard" % scope)
            if st == 200 and (not any(x.get("id") == hid for x in d["overdue_hazards"]) or
                              d["counts"]["overdue_hazards"] < 1):
                fail("handover draft of %s" % scope, "overdue hazard %s not in %r" % (
                    hid, d.get("overdue_hazards")))
        HS = H + "/{hazard}/supervise"
        c("POST", HS, t["operator"], params=p, body=json.dumps({"note": "x"}), expect=403)
        c("POST", HS, t["regulator"], params=p, body=json.dumps({"note": "挂牌督办"}), expect=200)
        c("POST", HS, t["regulator"], params=p, body=json.dumps({"note": "again"}), expect=409)
        c("GET", H, t["e2"], query={"supervised": "true", "limit": "5"}, expect=200)
        c("GET", H, t["admin"], query={"state": "nope"}, expect=400)
        c("GET", H, t["admin"], query={"limit": "1001"}, expect=400)
        c("GET", H, t["admin"], query={"at": "-1h"}, expect=200)
        c("GET", H, t["e2"], query={"enterprise": "E001"}, expect=403)
        c("GET", HI, t["admin"], params=p, query={"at": "-1h"}, expect=404,
          label="a hazard before it was reported")
        st, stats, _ = c("GET", H + "/stats", t["regulator"], expect=200)
        if st == 200 and stats["park"]["supervised"] < 1:
            fail("GET /api/v1/hazards/stats", "no supervised hazard counted")
        c("GET", H + "/criteria", t["e2"], expect=200)
        st, j, _ = c("GET", H + "/journal", t["regulator"], query={"from": "-1h"}, expect=200)
        if st == 200 and len(j["events"]) < 5:
            fail("GET /api/v1/hazards/journal", "%d events" % len(j["events"]))
        c("GET", H + "/journal", t["regulator"], query={"from": "nope"}, expect=400)
        # a hazard inside E002's risk unit raises it (parkd looks every 5 s): its reasons
        # name the hazard
        st, inside, _ = c("POST", H, t["e2"], body=json.dumps(
            {"title": "Corroded drain valve", "lon": 121.4218, "lat": 30.7812}), expect=201,
            label="report a hazard inside E002-RU1")
        deadline, reasons = time.time() + 12, []
        while st == 201 and time.time() < deadline:
            s2, u, _ = c("GET", "/api/v1/risk-units/{id}", t["e2"], params={"id": "E002-RU1"},
                         expect=200, label="E002-RU1 while parkd counts its hazards")
            reasons = u.get("reasons", []) if s2 == 200 else []
            if any("hidden hazard %d" % inside["id"] in r for r in reasons):
                break
            time.sleep(1)
        else:
            fail("GET /api/v1/risk-units/E002-RU1", "no reason names hazard %s: %r" % (
                inside.get("id") if isinstance(inside, dict) else None, reasons))

    # -- closed park (closedpark/, issue 21)

    def closedpark(self):
        """Closed-park management: appointments booked (as each role: an enterprise for itself
        only, the regulator not at all), a gate passage and positions over MQTT as PARK, the
        vehicle in GET /vehicles and its track from the historian, a hazardous-goods vehicle
        without an appointment raising no_appointment, passages, summary, vehicle park,
        zones with a badge, cancelling, and what an enterprise token sees."""
        c, t = self.c, self.t
        A, AI, AC = ("/api/v1/appointments", "/api/v1/appointments/{id}",
                     "/api/v1/appointments/{id}/cancel")
        V, VP, VT = "/api/v1/vehicles", "/api/v1/vehicles/{plate}", "/api/v1/vehicles/{plate}/track"
        # an E001 token, created while parkd runs (a token not known yet is looked up at once)
        r = subprocess.run([os.path.join(self.bindir, "parkctl"), "token", "create", "--file",
                            os.path.join(self.data_dir, "tokens.json"), "--role", "enterprise",
                            "--name", "e1", "--enterprise", "E001"],
                           capture_output=True, text=True, timeout=30)
        e1 = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if r.returncode != 0 or not e1.startswith("pw_"):
            fail("parkctl token create E001", r.stderr.strip())
            return
        now = now_ms()
        plate, stray = "沪A12345", "沪B99999"
        book = {"plate": plate, "enterprise": "E001", "window_from": now - 60000,
                "window_to": now + 7200000, "gate": "PARK-G1", "destination": "E001-T101",
                "hazard_class": "3", "un_number": "1203", "cargo": "gasoline",
                "mass_kg": 20000, "driver": "张三", "vehicle_type": "tanker"}
        st, appt, _ = c("POST", A, t["operator"], body=json.dumps(book), expect=201,
                        label="book an appointment for E001")
        if st != 201:
            return
        aid = appt["id"]
        route = (appt.get("route") or {}).get("coordinates") or []
        if appt["state"] != "booked" or len(route) < 2 or not appt.get("length_m"):
            fail("book an appointment", "state %s, %d route points, length %r" % (
                appt["state"], len(route), appt.get("length_m")))
            return
        if not re.match(r"^A\d{8}-\d{4}$", aid):
            fail("book an appointment", "id %r" % aid)
        own_book = {k: v for k, v in book.items() if k not in ("enterprise", "hazard_class",
                                                                "un_number")}
        st, own, _ = c("POST", A, t["e2"], body=json.dumps(
            dict(own_book, plate="沪C55555", destination="E002")), expect=201,
            label="an enterprise books for itself")
        own_id = own["id"] if st == 201 else "none"
        if st == 201 and (own["enterprise"], own["created_by"]) != ("E002", "E002"):
            fail("an enterprise books for itself", "enterprise %r, created_by %r" % (
                own["enterprise"], own["created_by"]))
        c("POST", A, t["e2"], body=json.dumps(book), expect=403, label="E002 books for E001")
        c("POST", A, t["regulator"], body=json.dumps(book), expect=403,
          label="the regulator books")
        c("POST", A, t["admin"], body=json.dumps(dict(book, gate="GATE-X")), expect=400,
          label="book at an unknown gate")
        c("POST", A, t["admin"], body=json.dumps(dict(book, hazard_class="10")), expect=400,
          label="book with hazard class 10")
        c("POST", A, t["admin"], body=json.dumps(dict(book, window_to=now - 1)), expect=400,
          label="book a window already over")
        c("POST", A, t["admin"], body="[1]", expect=400, label="book with an array")
        # listing: the scope, the filters, bad parameters
        st, lst, _ = c("GET", A, t["regulator"], expect=200)
        ids = {a["id"] for a in lst["appointments"]} if st == 200 else set()
        if not {aid, own_id} <= ids or any("route" in a for a in lst.get("appointments", [])):
            fail("GET %s" % A, "ids %s, want %s and %s, no routes" % (ids, aid, own_id))
        for tok, who, want in ((e1, "E001", {aid}), (t["e2"], "E002", {own_id})):
            st, lst, _ = c("GET", A, tok, expect=200, label="appointments as %s" % who)
            if st == 200 and {a["id"] for a in lst["appointments"]} != want:
                fail("appointments as %s" % who, "%s" % [a["id"] for a in lst["appointments"]])
        st, lst, _ = c("GET", A, t["admin"], query={"plate": plate, "state": "booked",
                                                    "from": "now", "to": str(now + 60000)},
                       expect=200, label="appointments of a plate, booked, in the next minute")
        if st == 200 and [a["id"] for a in lst["appointments"]] != [aid]:
            fail("appointments of a plate", "%s" % lst)
        c("GET", A, t["e2"], query={"enterprise": "E001"}, expect=403,
          label="E002 lists E001's appointments")
        c("GET", A, t["admin"], query={"state": "parked"}, expect=400)
        c("GET", A, t["admin"], query={"limit": "0"}, expect=400)
        c("GET", A, t["admin"], query={"limit": "1001"}, expect=400)
        c("GET", A, t["admin"], query={"from": "now", "to": "-1h"}, expect=400,
          label="appointments from after to")
        c("GET", A, t["admin"], query={"from": "yesterday"}, expect=400)
        c("GET", A, t["admin"], query={"plate": "x" * 65}, expect=400)
        st, one, _ = c("GET", AI, e1, params={"id": aid}, expect=200,
                       label="E001 reads its appointment")
        if st == 200 and one.get("route") != appt.get("route"):
            fail("GET %s" % AI, "the route differs from the booking's")
        c("GET", AI, t["e2"], params={"id": aid}, expect=404, label="E002 reads E001's")
        c("GET", AI, t["admin"], params={"id": "A20000101-0001"}, expect=404)
        c("GET", AI, t["admin"], params={"id": "x" * 65}, expect=400)

        # the gate: the booked tanker and a hazardous-goods vehicle without an appointment
        # enter through PARK-G1 (PARK's gate: reported over MQTT as PARK)
        t_in = now_ms()
        gate_ev = [dict(type="gate_passage", ts=t_in, gate="PARK-G1", direction="in",
                        plate=plate, vehicle_type="tanker", hazard_class="3",
                        un_number="1203", cargo="gasoline", mass_kg=20000, driver="张三",
                        enterprise="E001"),
                   dict(type="gate_passage", ts=t_in, gate="PARK-G1", direction="in",
                        plate=stray, vehicle_type="tanker", hazard_class="2.1",
                        un_number="1075", cargo="LPG", mass_kg=15000, enterprise="E003")]
        mqtt_publish(self.broker_port, [("park/PARK/gate-1/events", json.dumps(gate_ev)),
                                        ("park/E001/badges/events", json.dumps(
                                            {"type": "badge", "ts": t_in,
                                             "zone": "E001-ZONE-1", "person": "P0042",
                                             "name": "李四", "direction": "in",
                                             "enterprise": "E001"}))])
        P = "/api/v1/gates/passages"
        deadline, got = time.time() + 15, {}
        while time.time() < deadline:
            st, ps, _ = c("GET", P, t["admin"], query={"from": str(t_in - 1)}, expect=200,
                          label="passages while parkd takes the gate events")
            got = {p["plate"]: p for p in ps["passages"]} if st == 200 else {}
            if {plate, stray} <= set(got):
                break
            time.sleep(0.3)
        else:
            fail("GET %s" % P, "no passages of %s and %s: %s" % (plate, stray, list(got)))
            return
        ck_a, ck_s = got[plate]["check"], got[stray]["check"]
        if not ck_a["matched"] or ck_a["appointment"] != aid or ck_a["no_appointment"]:
            fail("the booked tanker's passage", "check %r" % ck_a)
        if not ck_s["no_appointment"] or ck_s["matched"]:
            fail("the stray tanker's passage", "check %r" % ck_s)
        st, ps, _ = c("GET", P, e1, query={"from": str(t_in - 1), "gate": "PARK-G1"},
                      expect=200, label="passages as E001")
        if st == 200 and [p["plate"] for p in ps["passages"]] != [plate]:
            fail("passages as E001", "%s" % [p["plate"] for p in ps["passages"]])
        st, ps, _ = c("GET", P, t["admin"], query={"from": str(t_in - 1), "gate": "PARK-G2"},
                      expect=200, label="passages of another gate")
        if st == 200 and ps["passages"]:
            fail("passages of PARK-G2", "%d passages" % len(ps["passages"]))
        c("GET", P, t["admin"], query={"limit": "10001"}, expect=400)
        c("GET", P, t["admin"], query={"from": "soon"}, expect=400)
        c("GET", P, t["admin"], query={"gate": "g" * 65}, expect=400)
        # positions as the vehicle platform sends them: 5 a second apart, 10 m each along
        # the planned route's first leg, from the gate
        (lon0, lat0), (lon1, lat1) = route[0], route[1]
        import math
        kx = 111320.0 * math.cos(math.radians(lat0))
        dx, dy = (lon1 - lon0) * kx, (lat1 - lat0) * 110540.0
        norm = math.hypot(dx, dy) or 1.0
        t0 = now_ms() - 6000
        sent = []
        for k in range(5):
            lon = round(lon0 + dx / norm * 10 * k / kx, 7)
            lat = round(lat0 + dy / norm * 10 * k / 110540.0, 7)
            vals = {plate + ".lat": lat, plate + ".lon": lon, plate + ".heading": 90}
            if k != 2:  # one without its speed: null in the track
                vals[plate + ".speed"] = 36.0
            sent.append([lon, lat, t0 + 1000 * k, 36.0 if k != 2 else None])
            mqtt_publish(self.broker_port, [("park/PARK/vehicles/data", json.dumps(
                {"ts": t0 + 1000 * k, "values": vals}))])
        deadline, feat = time.time() + 15, None
        while time.time() < deadline:
            st, fc, _ = c("GET", V, t["admin"], query={"track_step_s": "0"}, expect=200,
                          label="vehicles while parkd takes the positions")
            feat = next((f for f in fc.get("features", []) if f["id"] == plate), None) \
                if st == 200 else None
            if feat and feat["properties"].get("ts") == sent[-1][2]:
                break
            time.sleep(0.3)
        else:
            fail("GET %s" % V, "%s not at its last position: %r" % (plate, feat))
            return
        pr = feat["properties"]
        if (pr["appointment"], pr["hazard_class"], pr["inside"], pr["enterprise"]) != (
                aid, "3", True, "E001") or feat["geometry"]["coordinates"] != sent[-1][:2]:
            fail("GET %s" % V, "%s: %r" % (plate, feat))
        if [p[:3] for p in pr["track"]] != [p[:3] for p in sent]:
            fail("GET %s" % V, "the live track %r, sent %r" % (pr["track"], sent))
        # the live layer's default: a track point per 10 s (five positions a second apart: one)
        st, fc, _ = c("GET", V, t["admin"], expect=200, label="vehicles, the default track")
        dflt = next((f for f in (fc or {}).get("features", []) if f["id"] == plate), None) \
            if st == 200 else None
        if not dflt or [p[:3] for p in dflt["properties"]["track"]] != [sent[0][:3]]:
            fail("GET %s" % V, "the default track of %s: %r" % (plate, dflt and dflt[
                "properties"]["track"]))
        c("GET", V, t["admin"], query={"track_s": "601"}, expect=400)
        for tok, who, want in ((e1, "E001", {plate}), (t["e2"], "E002", set())):
            st, fc, _ = c("GET", V, tok, expect=200, label="vehicles as %s" % who)
            if st == 200 and {f["id"] for f in fc["features"]} != want:
                fail("vehicles as %s" % who, "%s" % [f["id"] for f in fc["features"]])
        st, fc, _ = c("GET", V, t["regulator"], query={"at": "now"}, expect=200,
                      label="vehicles inside now, from the stored presences")
        if st == 200 and not {plate, stray} <= {f["id"] for f in fc["features"]}:
            fail("GET %s?at=now" % V, "%s" % [f["id"] for f in fc["features"]])
        st, fc, _ = c("GET", V, t["regulator"], query={"at": str(t_in - 1)}, expect=200,
                      label="vehicles inside before they came")
        if st == 200 and {plate, stray} & {f["id"] for f in fc["features"]}:
            fail("GET %s?at=before" % V, "%s" % [f["id"] for f in fc["features"]])
        c("GET", V, t["admin"], query={"at": "later"}, expect=400)
        st, one, _ = c("GET", VP, t["operator"], params={"plate": plate}, expect=200)
        if st == 200 and (one["properties"].get("appointment_detail") or {}).get("id") != aid:
            fail("GET %s" % VP, "appointment_detail %r" % one["properties"].get(
                "appointment_detail"))
        c("GET", VP, e1, params={"plate": plate}, expect=200, label="E001 reads its vehicle")
        c("GET", VP, t["e2"], params={"plate": plate}, expect=404, label="E002 reads E001's")
        c("GET", VP, t["admin"], params={"plate": "沪Z00000"}, expect=404)
        c("GET", VP, t["admin"], params={"plate": "x" * 65}, expect=400)
        # the track from the historian: every position, speed null where none was sent
        st, tr, _ = c("GET", VT, e1, params={"plate": plate}, query={"from": str(t0 - 1)},
                      expect=200, label="E001 reads its vehicle's track")
        if st == 200 and (tr["points"] != sent or tr["count"] != 5 or tr["truncated"]):
            fail("GET %s" % VT, "points %r, sent %r" % (tr["points"], sent))
        st, tr, _ = c("GET", VT, t["regulator"], params={"plate": plate},
                      query={"from": str(t0 - 1), "limit": "2"}, expect=200,
                      label="a track cut at 2 points")
        if st == 200 and (tr["points"] != sent[:2] or not tr["truncated"] or
                          tr.get("next_from") != sent[1][2] + 1):
            fail("a track cut at 2 points", "%r" % tr)
        st, tr, _ = c("GET", VT, t["admin"], params={"plate": "沪Z00000"}, expect=200,
                      label="the track of a plate never seen")
        if st == 200 and tr["points"]:
            fail("the track of a plate never seen", "%r" % tr)
        c("GET", VT, t["e2"], params={"plate": plate}, expect=404, label="E002 reads E001's track")
        c("GET", VT, t["admin"], params={"plate": plate}, query={"from": "x"}, expect=400)
        c("GET", VT, t["admin"], params={"plate": plate}, query={"limit": "0"}, expect=400)
        c("GET", VT, t["admin"], params={"plate": plate}, query={"from": "now", "to": "-1h"},
          expect=400, label="a track from after to")
        # the stray tanker raised no_appointment: an alarm of kind condition
        name = "PARK/vehicles/%s/no_appointment" % stray
        deadline, alarms = time.time() + 10, []
        while time.time() < deadline:
            st, al, _ = c("GET", "/api/v1/alarms", t["admin"], expect=200,
                          label="alarms while the stray tanker is inside")
            alarms = [a for a in al.get("alarms", []) if a["series"] == name] if st == 200 else []
            if alarms:
                break
            time.sleep(0.3)
        if not alarms or alarms[0]["kind"] != "condition":
            fail("GET /api/v1/alarms", "no condition alarm %s: %r" % (name, alarms))
        # summary, vehicle park, zones
        st, sm, _ = c("GET", "/api/v1/closedpark/summary", t["regulator"], expect=200)
        if st == 200 and (sm["inside"] < 2 or sm["by_hazard_class"].get("3", 0) < 1 or
                          sm["by_hazard_class"].get("2.1", 0) < 1 or
                          sm["goods_kg"].get("3", 0) < 20000 or sm["appointments"]["inside"] < 1
                          or sm["flagged"] < 1 or sm["counters"]["passages"] < 2 or
                          sm["counters"]["positions"] < 5):
            fail("GET /api/v1/closedpark/summary", "%r" % sm)
        st, sm, _ = c("GET", "/api/v1/closedpark/summary", t["e2"], expect=200,
                      label="the summary as E002")
        if st == 200 and ((sm["inside"], sm["passages_today"]) != (0, None) or
                          "counters" in sm):
            fail("the summary as E002", "%r" % sm)
        st, vp, _ = c("GET", "/api/v1/vehicle-park", t["operator"], expect=200)
        if st == 200 and [p["id"] for p in vp["parks"]] != ["PARK-VP1"]:
            fail("GET /api/v1/vehicle-park", "%r" % vp)
        c("GET", "/api/v1/vehicle-park", t["e2"], expect=200, label="the vehicle park as E002")
        Z = "/api/v1/zones"
        st, zs, _ = c("GET", Z, t["admin"], expect=200)
        if st == 200 and len(zs["zones"]) < 20:
            fail("GET %s" % Z, "%d zones" % len(zs["zones"]))
        st, zs, _ = c("GET", Z, e1, expect=200, label="zones as E001")
        if st == 200 and {z["enterprise"] for z in zs["zones"]} != {"E001"}:
            fail("zones as E001", "%s" % [z["id"] for z in zs["zones"]])
        st, zs, _ = c("GET", Z, t["e2"], expect=200, label="zones as E002 (it has none)")
        if st == 200 and zs["zones"]:
            fail("zones as E002", "%s" % [z["id"] for z in zs["zones"]])
        deadline, z = time.time() + 10, {}
        while time.time() < deadline:
            st, z, _ = c("GET", Z + "/{id}", e1, params={"id": "E001-ZONE-1"}, expect=200,
                         label="E001's tank farm while the badge is taken")
            if st == 200 and z["count"] == 1:
                break
            time.sleep(0.3)
        if z.get("count") != 1 or [p["person"] for p in z.get("people", [])] != ["P0042"]:
            fail("GET %s/E001-ZONE-1" % Z, "%r" % z)
        c("GET", Z + "/{id}", t["e2"], params={"id": "E001-ZONE-1"}, expect=404,
          label="E002 reads E001's zone")
        c("GET", Z + "/{id}", t["admin"], params={"id": "NO-ZONE"}, expect=404)
        # a release at E001's tank: a tag and the stray tanker placed inside its footprint are
        # listed in the incident's zones (the views ask the closed park what is inside)
        I = "/api/v1/incidents"
        st, inc, _ = c("POST", I, t["operator"], body=json.dumps(
            {"tank": "E001-T101", "release_kg_s": 10, "note": "closed park"}), expect=201,
            label="an incident where people and vehicles are tracked")
        ring = ((inc.get("zones") or [{}])[-1].get("polygon") or {}).get(
            "coordinates", [[]])[0] if st == 201 else []
        if ring:
            # the plume is symmetric about its axis: the mean of its vertices lies inside
            lon_in = round(sum(p[0] for p in ring) / len(ring), 7)
            lat_in = round(sum(p[1] for p in ring) / len(ring), 7)
            ts = now_ms()
            mqtt_publish(self.broker_port, [
                ("park/PARK/people/data", json.dumps(
                    {"ts": ts, "values": {"P0043.lat": lat_in, "P0043.lon": lon_in}})),
                ("park/PARK/vehicles/data", json.dumps(
                    {"ts": ts, "values": {stray + ".lat": lat_in, stray + ".lon": lon_in}}))])
            iid = inc["incident"]["id"]
            deadline, zones = time.time() + 10, []
            while time.time() < deadline:
                st, one, _ = c("GET", I + "/{id}", t["operator"], params={"id": iid},
                               expect=200, label="the incident while the tag is taken")
                zones = one.get("zones", []) if st == 200 else []
                outer = zones[-1] if zones else {}
                if "P0043" in {p["person"] for p in outer.get("people", [])} and stray in {
                        v["plate"] for v in outer.get("vehicles", [])}:
                    break
                time.sleep(0.3)
            else:
                fail("an incident where people are tracked", "outer zone %r" % {
                    k: zones[-1].get(k) for k in ("people", "vehicles", "occupants_basis")}
                    if zones else "no zones")
            c("POST", I + "/{id}/close", t["operator"], params={"id": iid}, expect=200,
              label="close the incident")
        elif st == 201:
            fail("an incident where people are tracked", "no footprint: %r" % inc.get("zones"))
        # cancelling: booked only, by its enterprise or park staff
        c("POST", AC, t["regulator"], params={"id": own_id}, expect=403,
          label="the regulator cancels")
        c("POST", AC, e1, params={"id": own_id}, expect=404, label="E001 cancels E002's")
        st, cn, _ = c("POST", AC, t["e2"], params={"id": own_id}, expect=200,
                      label="E002 cancels its appointment")
        if st == 200 and (cn["state"] != "cancelled" or not cn.get("cancelled_ms")):
            fail("cancel an appointment", "%r" % cn)
        c("POST", AC, t["e2"], params={"id": own_id}, expect=409, label="cancel it again")
        c("POST", AC, t["admin"], params={"id": aid}, expect=409,
          label="cancel the appointment of a vehicle inside")
        c("POST", AC, t["admin"], params={"id": aid}, body="nope", expect=400,
          label="cancel with a body that is not JSON")
        c("POST", AC, t["admin"], params={"id": "A20000101-0001"}, expect=404)
        # the tanker leaves: its appointment is done
        mqtt_publish(self.broker_port, [("park/PARK/gate-1/events", json.dumps(
            dict(gate_ev[0], ts=now_ms(), direction="out")))])
        deadline, one = time.time() + 10, {}
        while time.time() < deadline:
            st, one, _ = c("GET", AI, t["admin"], params={"id": aid}, expect=200,
                           label="the appointment while the tanker leaves")
            if st == 200 and one["state"] == "done":
                break
            time.sleep(0.3)
        if one.get("state") != "done" or not one.get("left_ms"):
            fail("the tanker leaves", "appointment %r" % {k: one.get(k) for k in (
                "state", "entered_ms", "left_ms")})

    def coverage(self):
        """Every operation was called and answered 200 at least once."""
        for (m, tpl) in self.doc.ops:
            seen = SEEN.get((m, tpl), set())
            if not seen:
                fail("%s %s" % (m, tpl), "never called")
            elif not seen & {200, 201, 202, 204} and not (tpl == "/api/v1/ingest" and not getattr(
                    self, "ingest_wired", False)):
                fail("%s %s" % (m, tpl), "never answered 200 (statuses: %s)" % sorted(seen))
            documented = {int(s) for s in self.doc.ops[(m, tpl)].get("responses", {})
                          if s.isdigit()}
            missing = sorted(documented - seen)
            log("  %-6s %-32s statuses seen %-40s not seen %s" % (
                m, tpl, ",".join(str(s) for s in sorted(seen)),
                ",".join(str(s) for s in missing) or "-"))


# ---------------------------------------------------------------- main


def main():
    if len(sys.argv) != 3:
        print("usage: openapi_check.py BINDIR REPO", file=sys.stderr)
        return 2
    bindir, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for exe in ("parkd", "parkctl", "parksim"):
        if not os.access(os.path.join(bindir, exe), os.X_OK):
            print("openapi_check: no %s in %s" % (exe, bindir), file=sys.stderr)
            return 2
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.access(mosquitto, os.X_OK):
        print("openapi_check: no mosquitto", file=sys.stderr)
        return 2
    doc_path = os.path.join(repo, "api", "openapi.json")
    try:
        doc = Doc(json.load(open(doc_path, encoding="utf-8")))
    except (OSError, ValueError) as e:
        print("openapi_check: %s: %s" % (doc_path, e), file=sys.stderr)
        return 1
    lint(doc)
    log("document: %d paths, %d operations, %d schemas" % (
        len(doc.path_templates()), len(doc.ops), STATS["schemas"]))

    tmp = tempfile.mkdtemp(prefix="openapi-check-")
    procs = []
    logs = {}
    t0 = time.time()
    try:
        broker_port, api_port = free_port(), free_port()
        while api_port == broker_port:
            api_port = free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    % broker_port)
        logs["mosquitto"] = open(os.path.join(tmp, "mosquitto.log"), "w")
        mq = subprocess.Popen([mosquitto, "-c", conf], stdout=logs["mosquitto"],
                              stderr=subprocess.STDOUT)
        procs.append(("mosquitto", mq))
        if not wait_port(broker_port, 10, mq):
            raise RuntimeError("mosquitto did not start (see its log)")

        data_dir = os.path.join(tmp, "data")
        os.mkdir(data_dir)
        tokens = {}
        for key, role, ent in (("admin", "admin", None), ("operator", "operator", None),
                               ("regulator", "regulator", None), ("e2", "enterprise", "E002"),
                               ("burst", "admin", None)):
            cmd = [os.path.join(bindir, "parkctl"), "token", "create", "--file",
                   os.path.join(data_dir, "tokens.json"), "--role", role, "--name", key]
            if ent:
                cmd += ["--enterprise", ent]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            tok = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
            if r.returncode != 0 or not tok.startswith("pw_"):
                raise RuntimeError("parkctl token create %s: %s" % (role, r.stderr.strip()))
            tokens[key] = tok

        ents = [{"id": "E%03d" % i, "name": "Enterprise %d" % i, "interval_ms": 1000}
                for i in range(1, 31)]
        ents.append({"id": "PARK", "name": "Park administration", "interval_ms": 1000})
        cfg = {
            "data_dir": data_dir,
            "broker": {"host": "127.0.0.1", "port": broker_port, "client_id": "parkd-openapi",
                       "keepalive_s": 30},
            "ingest": {"ack_after": "write", "sync_interval_ms": 50,
                       "max_payload_bytes": 1048576, "max_series_per_enterprise": 10000,
                       "dead_letters": 100},
            "historian": {"retention_raw_days": 90, "retention_1m_days": 730,
                          "retention_1h_days": 0},
            "api": {"listen": "127.0.0.1:%d" % api_port, "max_streams": MAX_STREAMS,
                    "max_streams_per_token": MAX_STREAMS, "max_body_bytes": MAX_BODY, "rate_limit_per_s": RATE},
            "enterprises": ents,
            "people": [{"id": "e002-wu", "name": "Wu Fang", "enterprise": "E002"},
                       {"id": "park-sun", "name": "Sun Li"}],  # hidden hazards' assignees
            "hazards": {"max_attachment_bytes": 2 * MAX_BODY},
            "backup_dir": os.path.join(tmp, "backups"),
            "emergency": {"plans": os.path.join(repo, "scripts", "emergency-plans-demo.json")},
            "layout": {"files": [os.path.join(repo, "geo", "demo-park.geojson")],
                       "source_crs": "EPSG:4326"},
        }
        cfg_path = os.path.join(tmp, "parkd.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=1)
        logs["parkd"] = open(os.path.join(tmp, "parkd.log"), "w")
        parkd = subprocess.Popen([os.path.join(bindir, "parkd"), "--config", cfg_path,
                                  "--quiet"], stdout=logs["parkd"], stderr=subprocess.STDOUT)
        procs.append(("parkd", parkd))
        if not wait_port(api_port, 30, parkd):
            raise RuntimeError("parkd's API did not come up (exit %r)" % parkd.poll())
        api = Api(api_port, doc)
        end = time.time() + 20
        while time.time() < end:
            st, _, data = api.raw("GET", "/healthz")
            if st == 200 and json.loads(data).get("broker_connected"):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("parkd did not connect to the broker")
        log("parkd up on port %d (broker %d) after %.1f s" % (api_port, broker_port,
                                                              time.time() - t0))

        collectors = [Collector(api, tokens["admin"], "admin"),
                      Collector(api, tokens["e2"], "E002")]
        for col in collectors:
            col.start()
            col.ready.wait(10)

        # dead letters (and rejection counts) of E001, E002 and an unknown enterprise
        mqtt_publish(broker_port, [("park/E002/gd-03/data", "{\"ts\": 1, \"values\": "),
                                   ("park/E001/gd-01/data", "{not json"),
                                   ("park/E002/gd-04/data", "\x00\x01binary"),
                                   ("park/E999/dev/data", "{\"ts\": 1, \"values\": {}}")])
        sim = [os.path.join(bindir, "parksim"), "--port", str(broker_port), "--park",
               os.path.join(repo, "geo", "demo-park.geojson"), "--rate", "1", "--duration",
               "8", "--quiet",
               "--incident", "spike:E002:gd-03:lel:at=1:value=80:for=5",
               "--incident", "spike:E001:gd-01:lel:at=1:value=80:for=5"]
        r = subprocess.run(sim, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("parksim exited %d: %s" % (r.returncode, r.stderr[-500:]))
        # the alarms raise after their 2 s on-delay; wait for both enterprises'
        end = time.time() + 30
        while time.time() < end:
            st, _, data = api.raw("GET", "/api/v1/alarms", tokens["admin"])
            ents = {a["enterprise"] for a in json.loads(data).get("alarms", [])} \
                if st == 200 else set()
            if {"E001", "E002"} <= ents:
                break
            time.sleep(0.3)
        else:
            raise RuntimeError("no alarms of E001 and E002 after the incidents")
        # and for the off-delay, so the transitions back are journalled
        time.sleep(1)
        log("data and alarms in place after %.1f s" % (time.time() - t0))

        ck = Checker(api, doc, tokens, repo, bindir)
        ck.broker_port, ck.data_dir = broker_port, data_dir  # the closed park's flow
        steps = [("meta", ck.meta), ("series", ck.series), ("layers", ck.layers),
                 ("alarms", ck.alarms), ("streams", lambda: ck.streams(collectors)),
                 ("alarm actions", ck.alarm_actions), ("ingest", ck.ingest),
                 ("views and incidents", ck.views),
                 ("shift handover", ck.handover),
                 ("influxdb", ck.influx),
                 ("risk units", ck.risk_units),
                 ("admin backup", ck.admin_backup),
                 ("hidden hazards", ck.hazards),
                 ("closed park", ck.closedpark),
                 ("special work, cameras", ck.special_work_and_cameras),
                 ("401 everywhere", ck.every_operation_unauthenticated),
                 ("405 everywhere", ck.every_path_wrong_method),
                 ("documented paths served", ck.every_path_served),
                 ("undocumented paths 404", ck.undocumented_paths),
                 ("route table documented", ck.routes_in_table),
                 ("every route, every role", ck.every_route_every_role),
                 ("rate limit", ck.rate_limit),
                 ("max_streams", ck.too_many_streams)]
        for name, fn in steps:
            n0, f0 = STATS["responses"], len(FAILURES)
            try:
                fn()
            except Exception as e:  # a checker bug or a wild answer: report, go on
                import traceback
                traceback.print_exc()
                fail(name, "the check raised %s: %s" % (type(e).__name__, e))
            log("%-26s %4d responses, %d failures" % (name, STATS["responses"] - n0,
                                                      len(FAILURES) - f0))
        log("coverage (documented statuses seen per operation):")
        ck.coverage()
        if parkd.poll() is not None:
            fail("parkd", "exited %r during the checks" % parkd.returncode)
    except Exception as e:
        import traceback
        traceback.print_exc()
        fail("setup", str(e))
    finally:
        for name, p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            if name == "parkd" and p.returncode not in (0, None, -signal.SIGTERM):
                fail("parkd", "exit status %r after SIGTERM" % p.returncode)
        for f in logs.values():
            f.close()
        if FAILURES:
            for name in ("parkd", "mosquitto"):
                lp = os.path.join(tmp, name + ".log")
                if os.path.exists(lp):
                    tail = open(lp, errors="replace").read()[-2000:]
                    if tail.strip():
                        print("---- %s log (tail) ----\n%s" % (name, tail))
        shutil.rmtree(tmp, ignore_errors=True)

    ops = len(doc.ops)
    called = sum(1 for k in doc.ops if SEEN.get(k))
    print("openapi_check: %d of %d operations checked, %d responses and %d stream events "
          "validated, %d warnings, %d failures (%.1f s)" % (
              called, ops, STATS["responses"], STATS["events"], len(WARNINGS), len(FAILURES),
              time.time() - t0))
    for w in WARNINGS:
        print("  warning: " + w)
    if FAILURES:
        print("FAILED:")
        for f in FAILURES:
            print("  " + f)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
