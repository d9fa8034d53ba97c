"""Downloads that never leave a partial or corrupted file in place.

Each file is streamed to ``<name>.part`` beside its destination and moved into place with
``os.replace`` (atomic on POSIX) only once complete and verified. A partial ``.part`` file is resumed
with an HTTP ``Range`` request. Files are checked against PhysioNet's ``SHA256SUMS.txt`` and fetched
again on a mismatch. Network errors are retried with exponential backoff; every request has a timeout.
Archives are extracted by :func:`safe_extract`, which refuses members escaping the target folder.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from http.client import HTTPException
from pathlib import Path

__all__ = [
    "DownloadError",
    "download_file",
    "download_physionet",
    "parse_sha256sums",
    "safe_extract",
    "sha256_of",
]

_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download or extraction failed; names the URL or file and the problem."""


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_sha256sums(text: str) -> dict[str, str]:
    """Parse ``SHA256SUMS.txt`` lines ``<hex>  <relative path>`` into ``{path: hex}``.

    Raises:
        DownloadError: a line is not a 64-hex-digit hash followed by a path.
    """
    out: dict[str, str] = {}
    for k, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest) or not name:
            raise DownloadError(f"SHA256SUMS line {k} is malformed: {line!r}")
        out[name] = digest.lower()
    return out


def _safe_join(root: Path, name: str) -> Path:
    """``root / name``, refusing absolute names and names escaping ``root``."""
    norm = posixpath.normpath(name.replace("\\", "/"))
    if (
        norm.startswith("/")
        or norm == ".."
        or norm.startswith("../")
        or os.path.isabs(name)
        or ":" in norm.split("/")[0]
    ):
        raise DownloadError(f"refusing path {name!r}: it escapes the target folder {root}")
    target = (root / norm).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise DownloadError(f"refusing path {name!r}: it escapes the target folder {root}")
    return target


def _fetch_once(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Stream ``url`` into ``part``, resuming from its current size. Raises on any failure or on a
    body shorter than announced."""
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"User-Agent": "ecg-suite"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if (
            exc.code == 416 and have
        ):  # range not satisfiable: the part file is already complete or wrong
            raise _RangeError from exc
        raise
    with resp:
        status = resp.status
        if have and status != 206:
            have = 0  # server ignored the range: start over
        length = resp.headers.get("Content-Length")
        expected = int(length) if length is not None and length.isdigit() else None
        mode = "ab" if have else "wb"
        bar = None
        if progress:
            from tqdm import tqdm

            total = None if expected is None else expected + have
            bar = tqdm(
                total=total,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=part.name[:-5],
                leave=False,
            )
        received = 0
        try:
            with open(part, mode) as fh:
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    fh.write(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    if expected is not None and received < expected:
        raise DownloadError(f"{url}: connection closed after {received} of {expected} bytes")


class _RangeError(Exception):
    pass


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    retries: int = 4,
    timeout: float = 30.0,
    backoff: float = 0.5,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest`` atomically, resuming, verifying and retrying.

    Args:
        url: http(s) or file URL.
        dest: destination file; its folder is created.
        sha256: expected hex digest; on a mismatch the file is fetched again from scratch.
        retries: attempts after the first one.
        timeout: socket timeout of each request, in seconds.
        backoff: the wait before attempt ``k`` is ``backoff * 2**(k-1)`` seconds.
        progress: show a tqdm progress bar.

    Returns:
        ``dest`` as a Path. An existing ``dest`` with the right checksum is kept as is.

    Raises:
        DownloadError: every attempt failed (names the URL and the last problem).
    """
    if not isinstance(url, str) or not url:
        raise TypeError(f"url must be a non-empty string, got {url!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 s, got {timeout!r}")
    dest = Path(dest)
    if dest.exists() and (sha256 is None or sha256_of(dest) == sha256.lower()):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    problem = "no attempt made"
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _fetch_once(url, part, timeout, progress)
        except _RangeError:
            part.unlink(missing_ok=True)
            problem = "server refused to resume (HTTP 416); restarting"
            continue
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code in (403, 404, 410):
                break
            continue
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            HTTPException,
            OSError,
            DownloadError,
        ) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            continue  # keep the .part file: the next attempt resumes it
        if sha256 is not None:
            got = sha256_of(part)
            if got != sha256.lower():
                part.unlink(missing_ok=True)
                problem = f"SHA-256 mismatch (expected {sha256.lower()}, got {got})"
                continue
        os.replace(part, dest)
        return dest
    raise DownloadError(f"{url}: download failed after {retries + 1} attempts ({problem})")


def download_physionet(
    base_url: str,
    target_dir: str | os.PathLike[str],
    *,
    files: Iterable[str] | None = None,
    retries: int = 4,
    timeout: float = 30.0,
    backoff: float = 0.5,
    progress: bool = True,
) -> list[Path]:
    """Download a PhysioNet-style folder: its ``SHA256SUMS.txt``, then every listed file (or the
    subset ``files``), each verified against its checksum.

    Args:
        base_url: folder URL, e.g. ``https://physionet.org/files/ludb/1.0.1/``.
        target_dir: local folder; files keep their relative paths.
        files: relative paths to fetch (default: all of SHA256SUMS.txt).

    Returns:
        Paths of the downloaded (or already present and valid) files.

    Raises:
        DownloadError: a file is not listed, escapes ``target_dir`` or cannot be fetched intact.
    """
    root = Path(target_dir)
    root.mkdir(parents=True, exist_ok=True)
    base = base_url if base_url.endswith("/") else base_url + "/"
    sums_path = download_file(
        base + "SHA256SUMS.txt",
        root / "SHA256SUMS.txt",
        retries=retries,
        timeout=timeout,
        backoff=backoff,
        progress=False,
    )
    sums = parse_sha256sums(sums_path.read_text())
    wanted = list(sums) if files is None else list(files)
    out = []
    for name in wanted:
        if name not in sums:
            raise DownloadError(f"{name!r} is not listed in {base}SHA256SUMS.txt")
        dest = _safe_join(root, name)
        out.append(
            download_file(
                base + name,
                dest,
                sha256=sums[name],
                retries=retries,
                timeout=timeout,
                backoff=backoff,
                progress=progress,
            )
        )
    return out


def safe_extract(archive: str | os.PathLike[str], target_dir: str | os.PathLike[str]) -> list[Path]:
    """Extract a zip or tar archive into ``target_dir``, refusing any member that would land outside
    it (absolute path, ``..``, or a link pointing outside) and device or FIFO members.

    Every member is checked before anything is written.

    Returns:
        Paths of the extracted files.

    Raises:
        DownloadError: the archive is not a zip/tar or a member is refused (named).
    """
    src = Path(archive)
    root = Path(target_dir)
    if not src.is_file():
        raise DownloadError(f"{src}: archive does not exist")
    out: list[Path] = []
    if zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            targets = [_safe_join(root, info.filename) for info in infos]
            for info in infos:
                mode = (info.external_attr >> 16) & 0o170000
                if mode == 0o120000:
                    raise DownloadError(f"{src}: refusing symbolic link member {info.filename!r}")
            root.mkdir(parents=True, exist_ok=True)
            for info, target in zip(infos, targets, strict=True):
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as fin, open(target, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
                out.append(target)
        return out
    try:
        tf = tarfile.open(src)  # noqa: SIM115 (closed by the with block below)
    except tarfile.TarError as exc:
        raise DownloadError(f"{src}: not a zip or tar archive ({exc})") from exc
    with tf:
        members = tf.getmembers()
        for m in members:
            target = _safe_join(root, m.name)
            if m.issym() or m.islnk():
                link = m.linkname
                if os.path.isabs(link):
                    raise DownloadError(
                        f"{src}: refusing link member {m.name!r} -> {link!r} (absolute)"
                    )
                base = target.parent if m.issym() else root.resolve()
                resolved = (base / link).resolve()
                if resolved != root.resolve() and root.resolve() not in resolved.parents:
                    raise DownloadError(
                        f"{src}: refusing link member {m.name!r} -> {link!r}: it escapes {root}"
                    )
            elif not (m.isfile() or m.isdir()):
                raise DownloadError(f"{src}: refusing special member {m.name!r} (device or FIFO)")
        root.mkdir(parents=True, exist_ok=True)
        for m in members:
            tf.extract(m, root, filter="data")
            if m.isfile():
                out.append(_safe_join(root, m.name))
    return out
