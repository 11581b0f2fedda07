"""An upload is refused before its body is read: no credentials, a declared length over the limit, a chunked body
that runs past it; nothing is left in the uploads folder, and what a stopped server left is swept at start-up
(issue #11, security break 2). Spoken over raw sockets to a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

from fastapi.testclient import TestClient

MB = 1024 * 1024
BOUNDARY = "zhichengboundary"


def request_head(path: str, headers: dict[str, str], *, length: int | None = None, chunked: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: multipart/form-data; boundary={BOUNDARY}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket, timeout: float = 30.0) -> tuple[int, bytes]:
    """(status, raw head and body) of the answer, read until the server closes the connection."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            break
        if not piece:
            break
        data += piece
    assert data, "no answer"
    return int(data.split(b" ", 2)[1]), data


def connect(live_server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live_server.port), timeout=30)


def uploads(app) -> list:
    return list((app.state.settings.data / "uploads").iterdir())


def test_a_declared_1500_mib_upload_gets_413_before_a_byte_of_body(live_server, app, people, officers, auth_headers):
    sock = connect(live_server)
    path = f"/api/v1/catalog/resources/{people.id}/imports"
    sock.sendall(request_head(path, auth_headers(officers["police_user"]), length=1500 * MB))
    status, raw = read_response(sock)  # no body sent at all: the answer cannot have waited for it
    assert status == 413, raw[:500]
    assert b"application/problem+json" in raw and b"connection: close" in raw.lower()
    assert "上限为 512 MB".encode() in raw
    assert uploads(app) == []


def test_an_anonymous_upload_gets_401_at_once(live_server, app, people):
    for path in (f"/api/v1/catalog/resources/{people.id}/imports", f"/catalog/{people.id}/import"):
        sock = connect(live_server)
        sock.sendall(request_head(path, {}, length=1500 * MB))
        status, raw = read_response(sock)
        assert status == 401, raw[:500]
        assert b"connection: close" in raw.lower()
        sock.close()


def test_a_wrong_csrf_header_gets_403_at_once(live_server, app, client, people, officers, login):
    login(client, officers["police_user"])
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    sock = connect(live_server)
    sock.sendall(request_head(f"/api/v1/catalog/resources/{people.id}/imports",
                              {"Cookie": cookie, "X-CSRF-Token": "forged"}, length=1500 * MB))
    status, raw = read_response(sock)
    assert status == 403 and b"csrf_failed" in raw, raw[:500]


def test_a_chunked_upload_is_cut_at_the_limit_with_413(live_server, app, people, officers, auth_headers):
    app.state.settings.max_upload_mb = 2
    sock = connect(live_server)
    sock.sendall(request_head(f"/api/v1/catalog/resources/{people.id}/imports",
                              auth_headers(officers["police_user"]), chunked=True))
    part = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    sent = {"bytes": 0, "stopped": None}
    chunk = b"a" * 65536

    def stream() -> None:
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            for _ in range(64 * 16):  # up to 64 MB, far past the limit of 2 (+1 for the envelope)
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent["bytes"] += len(chunk)
        except OSError as exc:  # the server closed the connection behind its answer
            sent["stopped"] = type(exc).__name__

    writer = threading.Thread(target=stream, daemon=True)
    writer.start()
    status, raw = read_response(sock)
    writer.join(timeout=60)
    print(f"sent {sent['bytes'] / MB:.1f} MB before the cut ({sent['stopped']})")
    assert status == 413, raw[:500]
    assert "上限为 2 MB".encode() in raw
    assert sent["stopped"] is not None and sent["bytes"] < 64 * MB
    time.sleep(0.2)
    assert uploads(app) == []


def test_a_json_body_over_2_mb_gets_413(live_server, app, officers, auth_headers):
    sock = connect(live_server)
    head = request_head("/api/v1/catalog/resources", auth_headers(officers["police_user"]), length=3 * MB)
    sock.sendall(head.replace(f"multipart/form-data; boundary={BOUNDARY}".encode(), b"application/json"))
    status, raw = read_response(sock)
    assert status == 413 and "上限为 2 MB".encode() in raw, raw[:500]


def test_files_left_by_a_stopped_server_are_removed_at_start_up(settings, engine):
    folder = settings.ensure_data_dir() / "uploads"
    left = folder / "0123456789abcdef.csv"
    left.write_bytes(b"half an upload")
    kept = folder / ("f" * 32 + ".csv")  # an upload waiting on its mapping step stays
    kept.write_bytes(b"a,b\n")
    kept.with_name(kept.name + ".pending.json").write_text("{}")
    held = folder / ("e" * 32 + ".csv")  # the file of a job another live worker runs stays
    held.write_bytes(b"a,b\n")
    fresh = folder / ("d" * 32 + ".csv")  # as does one written a moment ago (an upload another worker receives)
    fresh.write_bytes(b"a,b\n")
    hour_ago = time.time() - 3600
    for path in (left, kept, held):
        os.utime(path, (hour_ago, hour_ago))
    other_worker = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'rb'); "
                                     "fcntl.flock(f, fcntl.LOCK_SH); print('held', flush=True); time.sleep(60)",
                                     str(held)], stdout=subprocess.PIPE, text=True)
    assert other_worker.stdout.readline().strip() == "held"
    from zhicheng.web.app import create_app

    app = create_app(settings)
    with TestClient(app) as c:
        assert c.get("/api/v1/health").status_code == 200
    app.state.engine.dispose()
    other_worker.kill()
    other_worker.wait()
    assert not left.exists()
    assert kept.exists() and held.exists() and fresh.exists()
