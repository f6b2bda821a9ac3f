#!/usr/bin/env python3
"""A loopback stand-in for the Hugging Face Hub's file endpoint, for tests (stdlib only).

    fake_hub_server.py --repo ORG/NAME=FOLDER [--repo ...] --ready-file PATH [--log PATH] [--token T]

Serves GET/HEAD {repo}/resolve/{revision}/{file} the way huggingface.co does:
- revision "main" or the repo's commit hash (40 hex, derived from the folder's contents);
  others -> 404 with X-Error-Code: RevisionNotFound; unknown repos -> 401 RepositoryNotFound;
- every answer carries X-Repo-Commit; a missing file -> 404 with X-Error-Code: EntryNotFound;
- weight files (LFS on the hub: .safetensors, .bin) -> 302 to http://localhost:PORT/cdn/{sha256}
  (another host name, like the hub's CDN) with X-Linked-Etag
  ("sha256") and X-Linked-Size; other files -> 200 with ETag = git blob sha1 (weak "W/" for .json,
  as the hub's compressed answers have);
- GET honours "Range: bytes=N-" / "bytes=N-M" (206 + Content-Range), 416 past the end;
- with --token T, requests without "Authorization: Bearer T" get 401 (a gated repo).
Binds 127.0.0.1 on a free port and writes {"port", "repos": {id: {"commit", "files": {name:
{"size", "etag", "lfs"}}}}} to --ready-file once listening. --log gets one JSON line per request:
{"method", "path", "range", "authorization", "status", "bytes"}.
"""
import argparse
import hashlib
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".onnx", ".pt")


def describe(folder):
    files = {}
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            data = open(path, "rb").read()
            lfs = rel.endswith(LFS_SUFFIXES)
            git = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            files[rel] = {"size": len(data), "lfs": lfs, "git": git, "path": path,
                          "etag": hashlib.sha256(data).hexdigest() if lfs else git}
    listing = "".join(f"{k}:{v['etag']}\n" for k, v in sorted(files.items()))
    return {"commit": hashlib.sha1(listing.encode()).hexdigest(), "files": files}


class Hub:
    def __init__(self, repos, token, log):
        self.repos = {repo: describe(folder) for repo, folder in repos}
        self.by_sha = {f["etag"]: f for r in self.repos.values() for f in r["files"].values() if f["lfs"]}
        self.token = token
        self.log_path = log
        self.lock = threading.Lock()

    def log(self, entry):
        if self.log_path:
            with self.lock, open(self.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: Hub = None

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.handle_request(body=False)

    def do_GET(self):
        self.handle_request(body=True)

    def reply(self, status, headers, payload=b"", body=True, sent=0):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body and payload:
            self.wfile.write(payload)
            sent = len(payload)
        self.hub.log({"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                      "authorization": self.headers.get("Authorization"), "status": status, "bytes": sent})

    def error(self, status, code, message, body):
        self.reply(status, {"X-Error-Code": code, "X-Error-Message": message, "Content-Type": "text/plain"},
                   message.encode(), body)

    def handle_request(self, body):
        if self.hub.token and self.headers.get("Authorization") != f"Bearer {self.hub.token}":
            return self.error(401, "GatedRepo", "Access to this repository is restricted.", body)
        m = re.match(r"^/cdn/([0-9a-f]{64})$", self.path)
        if m and m.group(1) in self.hub.by_sha:
            f = self.hub.by_sha[m.group(1)]
            return self.send_file(f, {"ETag": f'"{f["etag"]}"'}, body)
        m = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", self.path)
        if not m:
            return self.error(404, "EntryNotFound", "Not a resolve URL", body)
        repo_id, revision, filename = m.groups()
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            return self.error(401, "RepositoryNotFound", "Repository not found", body)
        if revision not in ("main", repo["commit"]):
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body)
        f = repo["files"].get(filename)
        common = {"X-Repo-Commit": repo["commit"]}
        if f is None:
            return self.reply(404, dict(common, **{"X-Error-Code": "EntryNotFound"}), b"Entry not found", body)
        if f["lfs"]:
            # Another host name for the same server, as the hub's CDN is another host (no token there).
            port = self.server.server_address[1]
            headers = dict(common, **{"Location": f"http://localhost:{port}/cdn/{f['etag']}", "ETag": f'"{f["git"]}"',
                                      "X-Linked-Etag": f'"{f["etag"]}"', "X-Linked-Size": str(f["size"])})
            return self.reply(302, headers, b"", body)
        etag = f'W/"{f["git"]}"' if filename.endswith(".json") else f'"{f["git"]}"'
        return self.send_file(f, dict(common, ETag=etag), body)

    def send_file(self, f, headers, body):
        data = open(f["path"], "rb").read()
        status, start, end = 200, 0, len(data)
        rng = self.headers.get("Range")
        if rng:
            m = re.match(r"^bytes=(\d+)-(\d*)$", rng)
            if not m:
                return self.error(400, "BadRange", "Bad Range header", body)
            start = int(m.group(1))
            end = min(int(m.group(2)) + 1, len(data)) if m.group(2) else len(data)
            if start >= len(data):
                return self.reply(416, {"Content-Range": f"bytes */{len(data)}"}, b"", body)
            status = 206
            headers = dict(headers, **{"Content-Range": f"bytes {start}-{end - 1}/{len(data)}"})
        headers = dict(headers, **{"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream",
                                   "Content-Length": str(end - start)})
        self.reply(status, headers, data[start:end], body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", default=[], help="ORG/NAME=FOLDER")
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--log")
    parser.add_argument("--token")
    args = parser.parse_args()
    repos = [tuple(r.split("=", 1)) for r in args.repo]
    Handler.hub = Hub(repos, args.token, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    manifest = {"port": server.server_address[1], "repos": {
        rid: {"commit": r["commit"], "files": {k: {"size": v["size"], "etag": v["etag"], "lfs": v["lfs"]}
                                              for k, v in r["files"].items()}}
        for rid, r in Handler.hub.repos.items()}}
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f)
    os.replace(tmp, args.ready_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
