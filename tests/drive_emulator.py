"""A loopback emulator of the Google Drive v2 API, enough for the real PyDrive2 / google-api-python-client / google-auth
stack: OAuth token refresh, files list (`in parents`, `title =`, `mimeType =` and `trashed =` queries, paged by
`maxResults`/`pageToken`), get, media download, insert, update, delete, trash, and resumable uploads. Faults (HTTP 429 and
503 with Google's JSON error body) can be injected on a schedule, before a request is processed or after it (a file
created, then 503: how real duplicates happen)."""
import hashlib, itertools, json, re, threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FOLDER = "application/vnd.google-apps.folder"


class DriveEmulator:
    def __init__(self, root_id="root-folder"):
        self.files = {root_id: dict(id=root_id, title="My folder", mimeType=FOLDER, parents=[])}
        self.content, self.sessions, self.log = {}, {}, []
        self.tokens_issued, self.faults_served, self.uploads = [], 0, 0
        self.fault_every = {}  # status -> serve it on every n-th API request, instead of processing it
        self.fault_after_every = 0  # answer every n-th create or upload with 503 after doing it
        self.page_size = 1000  # the most items one list page returns (Drive may return fewer than maxResults)
        self.quota_full = False  # answer every upload with 403 storageQuotaExceeded, as Drive does for a full quota
        self.unreadable = False  # answer every listing with 403 insufficientFilePermissions
        self._ids, self._n, self._writes, self._lock = itertools.count(1), 0, 0, threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self): self.server.shutdown(); self.server.server_close()

    def meta(self, fid):
        f = dict(self.files[fid], kind="drive#file", labels=dict(trashed=self.files[fid].get("trashed", False)),
                 parents=[dict(id=p) for p in self.files[fid]["parents"]])
        f.pop("trashed", None)
        if fid in self.content:
            f.update(md5Checksum=hashlib.md5(self.content[fid]).hexdigest(), fileSize=str(len(self.content[fid])))
        return f

    def children(self, parent): return [f for f in self.files.values() if parent in f["parents"] and not f.get("trashed")]

    def trash(self, fid): self.files[fid]["trashed"] = True  # what a person's "Remove" in Drive's web page does

    def query(self, q):
        "The files matching a Drive v2 query made of `and`-joined terms."
        found = list(self.files.values())
        for term in filter(None, (t.strip() for t in q.split(" and "))):
            if m := re.fullmatch(r"'([^']+)' in parents", term): found = [f for f in found if m.group(1) in f["parents"]]
            elif m := re.fullmatch(r"(title|mimeType) = '([^']*)'", term): found = [f for f in found if f[m.group(1)] == m.group(2)]
            elif m := re.fullmatch(r"trashed = (true|false)", term): found = [f for f in found if f.get("trashed", False) == (m.group(1) == "true")]
            else: raise ValueError(f"query term the emulator does not know: {term!r}")
        return sorted(found, key=lambda f: int(f["id"][1:]) if f["id"][1:].isdigit() else -1)

    def tree(self, fid, prefix=""):
        "{relative path: bytes} below folder `fid`."
        out = {}
        for f in self.children(fid):
            p = f"{prefix}{f['title']}"
            if f["mimeType"] == FOLDER: out.update(self.tree(f["id"], p + "/"))
            else: out[p] = self.content.get(f["id"], b"")
        return out

    def duplicates(self):
        seen = {}
        for f in self.files.values():
            if f.get("trashed"): continue
            for p in f["parents"]: seen[(p, f["title"])] = seen.get((p, f["title"]), 0) + 1
        return {k: n for k, n in seen.items() if n > 1}

    def _new(self, body, parents):
        fid = f"f{next(self._ids)}"
        self.files[fid] = dict(id=fid, title=body.get("title", "untitled"), mimeType=body.get("mimeType", "application/octet-stream"),
                               parents=[p["id"] for p in body.get("parents", [])] or parents, modifiedDate=_now())
        return fid

    def _handler(emu):
        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass

            def _send(self, code, body=b"", ctype="application/json", headers=()):
                if isinstance(body, (dict, list)): body = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype); self.send_header("Content-Length", str(len(body)))
                for k, v in headers: self.send_header(k, v)
                self.end_headers(); self.wfile.write(body)

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _fault(self):
                with emu._lock:
                    emu._n += 1
                    for code, every in emu.fault_every.items():
                        if every and emu._n % every == 0:
                            emu.faults_served += 1
                            return self._send(code, dict(error=dict(code=code, message="injected", errors=[dict(reason="backendError" if code >= 500 else "rateLimitExceeded", message="injected")]))) or True
                return False

            def _fault_after(self, answer):
                "Send `answer` (a 200 body), unless this write is one to answer with 503 although it was done."
                with emu._lock:
                    emu._writes += 1
                    fault = emu.fault_after_every and emu._writes % emu.fault_after_every == 0
                    if fault: emu.faults_served += 1
                if fault: return self._send(503, dict(error=dict(code=503, message="injected after", errors=[dict(reason="backendError", message="injected after")])))
                return self._send(200, answer)

            def _route(self, method):
                u = urlparse(self.path); q = parse_qs(u.query); body = self._body()
                emu.log.append(dict(method=method, path=u.path, query=u.query, headers=dict(self.headers), body=body[:2000]))
                if u.path == "/token":
                    tok = "at-SECRET-789"; emu.tokens_issued.append(tok)
                    return self._send(200, dict(access_token=tok, expires_in=3600, token_type="Bearer"))
                if self.headers.get("Authorization") not in [f"Bearer {t}" for t in emu.tokens_issued]:
                    return self._send(401, dict(error=dict(code=401, message="no valid token", errors=[dict(reason="authError")])))
                if self._fault(): return
                if (emu.quota_full and "upload" in u.path) or (emu.unreadable and method == "GET"):
                    reason = "storageQuotaExceeded" if emu.quota_full else "insufficientFilePermissions"
                    return self._send(403, dict(error=dict(code=403, message=reason, errors=[dict(reason=reason, message=reason)])))
                m = re.fullmatch(r"/(?:resumable/)?upload/drive/v2/files(?:/([^/]+))?", u.path)
                if m and method in ("POST", "PUT"):
                    sid = f"s{next(emu._ids)}"
                    emu.sessions[sid] = (m.group(1), json.loads(body or b"{}"))
                    return self._send(200, headers=[("Location", f"{emu.url}/upload-session/{sid}")])
                m = re.fullmatch(r"/upload-session/([^/]+)", u.path)
                if m and method == "PUT":
                    fid, meta = emu.sessions.pop(m.group(1))
                    with emu._lock:
                        if fid is None: fid = emu._new(meta, [])
                        emu.content[fid] = body; emu.files[fid]["modifiedDate"] = _now(); emu.uploads += 1
                    return self._fault_after(emu.meta(fid))
                if u.path == "/drive/v2/files" and method == "GET":
                    found = emu.query(q.get("q", [""])[0])
                    start, size = int(q.get("pageToken", ["0"])[0]), min(int(q.get("maxResults", ["100"])[0]), emu.page_size)
                    page = dict(kind="drive#fileList", items=[emu.meta(f["id"]) for f in found[start:start + size]])
                    if start + size < len(found): page["nextPageToken"] = str(start + size)
                    return self._send(200, page)
                if u.path == "/drive/v2/files" and method == "POST":
                    with emu._lock: fid = emu._new(json.loads(body or b"{}"), [])
                    return self._fault_after(emu.meta(fid))
                m = re.fullmatch(r"/drive/v2/files/([^/]+)", u.path)
                if m and m.group(1) in emu.files:
                    fid = m.group(1)
                    if method == "DELETE":
                        with emu._lock: _remove(emu, fid)
                        return self._send(204)
                    if q.get("alt") == ["media"]: return self._send(200, emu.content.get(fid, b""), "application/octet-stream")
                    return self._send(200, emu.meta(fid))
                return self._send(404, dict(error=dict(code=404, message=f"no route {method} {u.path}", errors=[dict(reason="notFound")])))

            def do_GET(self): self._route("GET")
            def do_POST(self): self._route("POST")
            def do_PUT(self): self._route("PUT")
            def do_PATCH(self): self._route("PATCH")
            def do_DELETE(self): self._route("DELETE")
        return H


def _now(): return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _remove(emu, fid):
    for c in emu.children(fid): _remove(emu, c["id"])
    emu.files.pop(fid, None); emu.content.pop(fid, None)
