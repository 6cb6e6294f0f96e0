"""The journal of one attempt of one job: records in, numbered batch files out.

Records are buffered and written as whole batch files (`00000001.json`, `00000002.json`, …) with
files.atomic_write, so the relay never reads a partial record. Text messages are never dropped.
Previews are bounded: within one batch only the newest preview of each node is kept (thinning),
a preview larger than `max_preview_bytes` is dropped, and once `preview_budget_bytes` of previews
were written for the attempt every further preview is dropped. Drops are journaled as one
`previews_thinned` record per batch, so the operator can see them.
"""

import base64
import threading
import time

from . import paths
from .files import atomic_write_json
from .version import FORMAT_VERSION


class JournalWriter:
    def __init__(self, root, job_id, attempt, replica_id, preview_budget_bytes, max_preview_bytes, clock=time.time):
        self.job_id = job_id
        self.attempt = attempt
        self.replica_id = replica_id
        self.folder = paths.local(root, paths.journal_rel(job_id, attempt, replica_id))
        self._budget = preview_budget_bytes
        self._max_preview = max_preview_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending = []
        self._ready = []
        self._seq = 0
        self._next_n = 0
        self.preview_bytes = 0
        self.previews_dropped = 0
        self.closed = False
        self._close_written = False

    def _now_ms(self):
        return int(self._clock() * 1000)

    def message(self, event_type, data):
        self._append({"kind": "message", "type": event_type, "data": data})

    def preview(self, source, mime, meta, image):
        self._append({"kind": "preview", "source": source, "mime": mime, "meta": meta, "image": image})

    def progress_text(self, node, text):
        self._append({"kind": "progress_text", "node": node, "text": text})

    def agent(self, event, outcome=None, detail=None):
        record = {"kind": "agent", "event": event, "detail": detail or {}}
        if outcome is not None:
            record["outcome"] = outcome
        self._append(record)

    def _append(self, record):
        record["at"] = self._now_ms()
        with self._lock:
            if self.closed:
                return
            self._pending.append(record)

    @property
    def has_pending(self):
        with self._lock:
            return bool(self._pending) or bool(self._ready) or (self.closed and not self._close_written)

    def close(self):
        """Journal the end of the attempt (a `closed` record) and write everything still buffered."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        self.flush()

    def flush(self):
        """Write the buffered records as the next batch file. Returns the number written."""
        with self._write_lock:
            with self._lock:
                taken, self._pending = self._pending, []
            # Records a failed write left behind go first, already thinned and budgeted.
            records = self._ready + self._bounded(taken)
            self._ready = []
            if self.closed and not self._close_written:
                total = self._next_n + len(records) + 1
                records.append({
                    "kind": "agent",
                    "event": "closed",
                    "detail": {"records": total, "previews_dropped": self.previews_dropped},
                    "at": self._now_ms(),
                })
                self._close_written = True
            if not records:
                return 0
            batch = {
                "v": FORMAT_VERSION,
                "job": self.job_id,
                "attempt": self.attempt,
                "replica": self.replica_id,
                "seq": self._seq + 1,
                "records": [_numbered(record, self._next_n + i) for i, record in enumerate(records)],
            }
            path = paths.local(self.folder, paths.batch_file_name(self._seq + 1))
            try:
                atomic_write_json(path, batch)
            except OSError:
                self._ready = records  # the volume is away: retry them with the next flush
                if records and records[-1].get("event") == "closed":
                    self._ready = records[:-1]
                    self._close_written = False
                raise
            self._seq += 1
            self._next_n += len(records)
            return len(records)

    def _bounded(self, records):
        """Thin and budget the previews of one batch; text and agent records pass untouched."""
        newest = {}
        for index, record in enumerate(records):
            if record["kind"] == "preview":
                newest[record["meta"].get("node_id")] = index
        kept, dropped = [], 0
        for index, record in enumerate(records):
            if record["kind"] != "preview":
                kept.append(record)
                continue
            image = record["image"]
            if isinstance(image, (bytes, bytearray)):
                size = len(image)
            else:
                size = len(image) * 3 // 4
            if newest.get(record["meta"].get("node_id")) != index or size > self._max_preview or self.preview_bytes + size > self._budget:
                dropped += 1
                continue
            self.preview_bytes += size
            if isinstance(image, (bytes, bytearray)):
                record["image"] = base64.b64encode(bytes(image)).decode("ascii")
            kept.append(record)
        if dropped:
            self.previews_dropped += dropped
            kept.append({
                "kind": "agent",
                "event": "previews_thinned",
                "detail": {"dropped": dropped, "dropped_total": self.previews_dropped, "preview_bytes": self.preview_bytes},
                "at": self._now_ms(),
            })
        return kept


def _numbered(record, n):
    """The record with its number; `n` and `at` first, as in the fixture (people read these files)."""
    out = {"n": n, "at": record["at"]}
    for key, value in record.items():
        if key not in out:
            out[key] = value
    return out
