"""Which prompts of this replica are the relay's, and what each is doing.

A prompt is ours when its `extra_data` carries the relay's marker `{"comfyume": {"job", "attempt"}}`
and its prompt_id is that job id. Each gets a JournalWriter when it enters the queue; messages are
routed to it by their prompt_id, previews without one (binary type 1, type 3) to the running one.
"""

import threading

from . import paths
from .journal import JournalWriter

MARKER_KEY = "comfyume"


def read_marker(prompt_id, extra_data):
    """(job, attempt) when the prompt carries a valid marker for itself, else None."""
    marker = extra_data.get(MARKER_KEY) if isinstance(extra_data, dict) else None
    if not isinstance(marker, dict):
        return None
    job, attempt = marker.get("job"), marker.get("attempt")
    if not isinstance(job, str) or not paths.JOB_ID.match(job) or job != prompt_id:
        return None
    if not isinstance(attempt, int) or isinstance(attempt, bool) or not 1 <= attempt <= 99:
        return None
    return job, attempt


class Held:
    """One of our prompts on this replica: its journal and where it is."""

    def __init__(self, job, attempt, client_id, journal):
        self.job = job
        self.attempt = attempt
        self.client_id = client_id
        self.journal = journal
        self.state = "pending"  # pending → running → finished
        self.node = None
        self.progress = None
        self.cancelled_upto = 0  # highest marker attempt already obeyed


class Tracker:
    def __init__(self, root, replica_id, preview_budget_bytes, max_preview_bytes, clock):
        self._root = root
        self._replica_id = replica_id
        self._budget = preview_budget_bytes
        self._max_preview = max_preview_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._held = {}
        self.running = None  # prompt_id of our running prompt

    def claim(self, prompt_id, job, attempt, client_id):
        with self._lock:
            known = self._held.get(prompt_id)
            if known and known.state != "finished":
                return known
            journal = JournalWriter(self._root, job, attempt, self._replica_id, self._budget, self._max_preview, self._clock)
            held = Held(job, attempt, client_id, journal)
            self._held[prompt_id] = held
            return held

    def get(self, prompt_id):
        with self._lock:
            return self._held.get(prompt_id)

    def running_held(self):
        with self._lock:
            return self._held.get(self.running) if self.running else None

    def start(self, prompt_id):
        with self._lock:
            held = self._held.get(prompt_id)
            if held:
                held.state = "running"
                self.running = prompt_id
            return held

    def finish(self, prompt_id):
        """The prompt ended (or left the queue): close its journal. Returns it, or None."""
        with self._lock:
            held = self._held.get(prompt_id)
            if not held or held.state == "finished":
                return None
            held.state = "finished"
            if self.running == prompt_id:
                self.running = None
        held.journal.close()
        return held

    def active(self):
        """[(prompt_id, Held)] of prompts not finished yet."""
        with self._lock:
            return [(pid, held) for pid, held in self._held.items() if held.state != "finished"]

    def journals(self):
        with self._lock:
            return [held.journal for held in self._held.values()]

    def forget_finished(self):
        """Drop finished prompts whose journals are fully written (keeps memory flat over a long workshop)."""
        with self._lock:
            for pid in [pid for pid, held in self._held.items() if held.state == "finished" and not held.journal.has_pending]:
                del self._held[pid]
