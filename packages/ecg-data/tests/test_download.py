"""Downloads against a local HTTP server on 127.0.0.1 serving a copy of real LUDB files."""

from __future__ import annotations

import hashlib
import http.server
import io
import shutil
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_data.download import (
    DownloadError,
    download_file,
    download_physionet,
    parse_sha256sums,
    safe_extract,
)

FILES = ["data/1.hea", "data/1.dat", "data/1.ii", "data/2.hea", "data/2.dat"]


class _Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                server.requests.append((name, rng))
                path = server.root / name
                if not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                fault = server.faults.get(name, [])
                action = fault.pop(0) if fault else ""
                if action == "corrupt":
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                start = 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                part = body[start:]
                self.send_header("Content-Length", str(len(part)))
                self.end_headers()
                if action == "drop":
                    self.wfile.write(part[: len(part) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(part)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(sample_data: Path, tmp_path: Path) -> Iterator[_Server]:
    src = sample_data / "ludb"
    root = tmp_path / "served"
    for name in FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / name, root / name)
    sums = parse_sha256sums((src / "SHA256SUMS.txt").read_text())
    (root / "SHA256SUMS.txt").write_text("".join(f"{sums[n]} {n}\n" for n in FILES))
    srv = _Server(root)
    yield srv
    srv.close()


pytestmark = pytest.mark.data


def test_download_physionet_verifies_and_matches_source(
    server: _Server, sample_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ludb"
    paths = download_physionet(server.url, out, progress=False)
    assert sorted(p.relative_to(out).as_posix() for p in paths) == sorted(FILES)
    for name in FILES:
        assert (out / name).read_bytes() == (sample_data / "ludb" / name).read_bytes()
    assert not list(out.rglob("*.part"))
    rec = wfdb.rdrecord(str(out / "data" / "1"))
    ref = wfdb.rdrecord(str(sample_data / "ludb" / "data" / "1"))
    np.testing.assert_array_equal(rec.p_signal, ref.p_signal)
    # a second call keeps the valid files (and the local checksum list): no request at all
    n = len(server.requests)
    download_physionet(server.url, out, progress=False)
    assert [r[0] for r in server.requests[n:]] == []


def test_corrupted_file_is_fetched_again(server: _Server, tmp_path: Path) -> None:
    server.faults["data/1.dat"] = ["corrupt"]
    out = tmp_path / "ludb"
    download_physionet(server.url, out, files=["data/1.dat"], progress=False, backoff=0.01)
    sums = parse_sha256sums((out / "SHA256SUMS.txt").read_text())
    assert hashlib.sha256((out / "data/1.dat").read_bytes()).hexdigest() == sums["data/1.dat"]
    assert [r for r in server.requests if r[0] == "data/1.dat"] == [("data/1.dat", None)] * 2


def test_corrupted_every_time_raises_and_leaves_nothing(server: _Server, tmp_path: Path) -> None:
    server.faults["data/1.dat"] = ["corrupt"] * 3
    out = tmp_path / "ludb"
    with pytest.raises(
        DownloadError, match=r"1\.dat: download failed after 3 attempts \(SHA-256 mismatch"
    ):
        download_physionet(
            server.url, out, files=["data/1.dat"], progress=False, retries=2, backoff=0.01
        )
    assert not (out / "data" / "1.dat").exists() and not (out / "data" / "1.dat.part").exists()


def test_dropped_connection_resumes_with_range(server: _Server, tmp_path: Path) -> None:
    server.faults["data/1.dat"] = ["drop"]
    size = (server.root / "data/1.dat").stat().st_size
    dest = download_file(server.url + "data/1.dat", tmp_path / "1.dat", progress=True, backoff=0.01)
    assert dest.read_bytes() == (server.root / "data/1.dat").read_bytes()
    reqs = [r for r in server.requests if r[0] == "data/1.dat"]
    assert reqs == [("data/1.dat", None), ("data/1.dat", f"bytes={size // 2}-")]


def test_missing_file_and_unlisted_file(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(server.url + "nope.dat", tmp_path / "x", progress=False, backoff=0.01)
    with pytest.raises(DownloadError, match="not listed"):
        download_physionet(server.url, tmp_path / "o", files=["data/9.dat"], progress=False)


def test_parse_sha256sums_rejects_garbage() -> None:
    with pytest.raises(DownloadError, match="line 2 is malformed"):
        parse_sha256sums("a" * 64 + " x\nnot a hash line\n")


def _tar_with(path: Path, member: tarfile.TarInfo, data: bytes = b"x") -> None:
    with tarfile.open(path, "w") as tf:
        member.size = len(data) if member.isfile() else 0
        tf.addfile(member, io.BytesIO(data) if member.isfile() else None)


def test_safe_extract_refuses_escaping_members(tmp_path: Path) -> None:
    target = tmp_path / "t"
    bad_zip = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad_zip, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr("../evil.txt", "pwned")
    with pytest.raises(DownloadError, match=r"refusing path '\.\./evil\.txt'"):
        safe_extract(bad_zip, target)
    assert (
        not (tmp_path / "evil.txt").exists() and not (target / "ok.txt").exists()
    )  # checked first
    t1 = tmp_path / "abs.tar"
    _tar_with(t1, tarfile.TarInfo("/tmp/evil_abs.txt"))
    with pytest.raises(DownloadError, match="escapes"):
        safe_extract(t1, target)
    t2 = tmp_path / "link.tar"
    link = tarfile.TarInfo("lnk")
    link.type = tarfile.SYMTYPE
    link.linkname = "../../outside"
    _tar_with(t2, link)
    with pytest.raises(DownloadError, match="refusing link member 'lnk'"):
        safe_extract(t2, target)
    good = tmp_path / "good.tar.gz"
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "a.txt").write_text("hello")
    with tarfile.open(good, "w:gz") as tf:
        tf.add(tmp_path / "src" / "sub", arcname="sub")
    paths = safe_extract(good, target)
    assert [p.name for p in paths] == ["a.txt"] and (
        target / "sub" / "a.txt"
    ).read_text() == "hello"
