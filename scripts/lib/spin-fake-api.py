# A stand-in for the API's worker routes, for the Spin consumer's smoke test under `wasmtime run`
# (scripts/lib/spin.sh, pn_spin_consumer_smoke): checks each request's service JWT (HS256 with
# SECRET, unexpired), logs one JSON line per request to LOG, and answers as the real API does for
# a healthy queue (every claim finds a `system.noop` job). Usage: spin-fake-api.py PORT SECRET LOG
import base64, hashlib, hmac, json, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, secret, log = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]

def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def claims(auth):
    try:
        head, body, sig = auth.removeprefix("Bearer ").split(".")
        want = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        c = json.loads(b64(body))
        ok = json.loads(b64(head)).get("alg") == "HS256" and hmac.compare_digest(want, b64(sig)) and c["exp"] > time.time()
        return c if ok else None
    except Exception:
        return None

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, doc):
        raw = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        c = claims(self.headers.get("authorization", ""))
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "body": body, "sub": c and c.get("sub")}) + "\n")
        if c is None:
            return self.reply(401, {"success": False, "code": "unauthorized", "error": "bad service token"})
        p = self.path
        if p == "/api/v1/worker/maintenance/relay":
            data = {"pushed": 0}
        elif p == "/api/v1/worker/queue/enqueue":
            data = [{"id": str(uuid.uuid4()), "created": True} for _ in body["jobs"]]
        elif p.startswith("/api/v1/worker/queue/jobs/") and p.endswith("/claim"):
            data = {"id": p.split("/")[6], "queue": "default", "job_type": "system.noop", "args": {},
                    "attempt": 1, "max_attempts": 4, "lease_expires_at": "2099-01-01T00:00:00Z", "account_id": None}
        elif p == "/api/v1/worker/queue/complete":
            data = [{"id": j["id"], "state": "completed", "run_at": None} for j in body["jobs"]]
        else:
            return self.reply(404, {"success": False, "code": "not_found", "error": p})
        self.reply(200, {"success": True, "data": data})

ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
