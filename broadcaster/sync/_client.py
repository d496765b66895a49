"""The station's HTTP client for the district hub: manifest (ETag), audio (resumed, verified), report."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ..manifest import STATION_HEADER, AudioRef, Manifest, ManifestError, loads

#: Tries per audio file within one sync round (each resumes where the last stopped).
DOWNLOAD_ATTEMPTS = 4
CHUNK = 64 * 1024


class SyncError(ValueError):
    """A sync step failed; the message is one Vietnamese line."""


class HubUnreachable(SyncError):
    """The hub could not be reached at all (network, DNS, refused, timed out)."""


def file_sha256(path: Path) -> str:
    """Give back the sha256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class HubClient:
    base_url: str
    token: str
    station: str
    timeout: float = 15.0
    http: requests.Session = field(default_factory=requests.Session)

    def _get(self, path: str, headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        return self._call("GET", path, headers=headers, **kw)

    def _call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        h = {"Authorization": f"Bearer {self.token}", STATION_HEADER: self.station, **(headers or {})}
        try:
            resp = self.http.request(method, self.base_url + path, headers=h, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise HubUnreachable(
                f"Không kết nối được máy chủ huyện {self.base_url} ({type(exc).__name__})."
            ) from None
        if resp.status_code in (200, 206, 304):
            return resp
        try:
            why = resp.json().get("loi") or resp.reason
        except ValueError:
            why = resp.reason
        if resp.status_code in (401, 403):
            raise SyncError(f"Máy chủ huyện từ chối đài ({resp.status_code}): {why}")
        if resp.status_code == 429:
            wait = resp.headers.get("Retry-After", "?")
            raise SyncError(f"Máy chủ huyện đang hạn chế đài gọi quá dày (429), thử lại sau {wait} giây.")
        raise SyncError(f"Máy chủ huyện trả lỗi {resp.status_code}: {why}")

    def manifest(self, etag: str | None) -> tuple[Manifest | None, str | None]:
        """Give back (manifest, its etag), or (None, etag) when the hub says nothing changed (304)."""
        resp = self._get("/api/v1/station/manifest", {"If-None-Match": f'"{etag}"'} if etag else None)
        tag = (resp.headers.get("ETag") or "").strip('"') or None
        if resp.status_code == 304:
            return None, tag or etag
        m = loads(resp.content)
        if m.station != self.station:
            raise ManifestError(f"Bản kê từ huyện là của đài «{m.station}», không phải của đài này.")
        return m, tag or m.etag()

    def download(self, ref: AudioRef, folder: Path) -> Path:
        """Give back the verified file of ``ref`` in ``folder``, downloading what is missing.

        Bytes go to ``NAME.partial``; after a cut the next try asks for the rest with a Range
        header. Only a file of the right size and sha256 is renamed (atomically) to its name: a
        short or corrupt file is never where playout looks. SyncError after the last try.
        """
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / ref.filename
        if final.is_file() and final.stat().st_size == ref.size:
            return final
        partial = final.with_name(final.name + ".partial")
        why = "không rõ"
        for _attempt in range(DOWNLOAD_ATTEMPTS):
            have = partial.stat().st_size if partial.exists() else 0
            if have > ref.size:
                partial.unlink()
                have = 0
            if have < ref.size:
                try:
                    self._fetch(ref, partial, have)
                except HubUnreachable:
                    raise
                except (SyncError, requests.RequestException, OSError) as exc:
                    why = str(exc) or type(exc).__name__
                    continue
            if partial.stat().st_size < ref.size:
                why = "tệp tải về bị thiếu"
                continue
            if file_sha256(partial) != ref.sha256:
                partial.unlink()  # whatever is in it is wrong: start over
                why = "mã sha256 không khớp (tệp hỏng)"
                continue
            os.replace(partial, final)
            _fsync_dir(folder)
            return final
        raise SyncError(f"Chưa tải được tệp âm thanh {ref.sha256[:12]}… sau {DOWNLOAD_ATTEMPTS} lần: {why}.")

    def _fetch(self, ref: AudioRef, partial: Path, have: int) -> None:
        headers = {"Range": f"bytes={have}-"} if have else None
        with self._get(ref.url, headers, stream=True) as resp:
            if resp.status_code == 206:
                start = (resp.headers.get("Content-Range") or "").removeprefix("bytes ").split("-")[0]
                if start != str(have):
                    raise SyncError("máy chủ trả đoạn không đúng chỗ")
                mode = "ab"
            else:  # 200: the whole file again
                mode = "wb"
            with partial.open(mode) as fh:
                try:
                    for chunk in resp.iter_content(CHUNK):
                        fh.write(chunk)
                finally:
                    fh.flush()
                    os.fsync(fh.fileno())

    def report(
        self, rows: list[dict], status: dict, decisions: list[dict] | None = None
    ) -> tuple[list[str], list[dict]]:
        """Give back (acknowledged uids, refused rows) for one batch of as-run rows, the status and
        the commune's decisions on offers (acknowledged by uid alongside the as-run rows)."""
        body: dict = {"asrun": rows, "status": status}
        if decisions:
            body["decisions"] = decisions
        resp = self._call("POST", "/api/v1/station/report", json=body)
        try:
            body = resp.json()
            return [u for u in body.get("ack", []) if isinstance(u, str)], list(body.get("tu_choi", []))
        except (ValueError, AttributeError):
            raise SyncError("Máy chủ huyện trả lời không đúng dạng khi nhận nhật ký phát.") from None
