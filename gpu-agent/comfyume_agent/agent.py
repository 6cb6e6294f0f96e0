"""The agent: what ComfyUI sends for our prompts goes into their journals; markers are obeyed.

It knows ComfyUI only through a narrow view (hooks.ComfyView, or a stand-in in the tests):
the queue's running and pending prompt ids, deleting a pending prompt, the prompt the worker
runs, and interrupting it. Nothing here may raise into ComfyUI: every entry point is guarded.
"""

import json
import logging
import struct
import threading
import time

from . import paths
from .files import read_json
from .heartbeat import heartbeat_payload, remove_heartbeat, write_heartbeat
from .tracker import Tracker, read_marker

log = logging.getLogger("comfyume_agent")

PREVIEW_IMAGE = 1
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4
META_KEYS = ("node_id", "prompt_id", "display_node_id", "parent_node_id", "real_node_id")


class Agent:
    def __init__(self, config, comfy, clock=time.time):
        self.config = config
        self.comfy = comfy
        self.clock = clock
        self.started_at = int(clock() * 1000)
        self.tracker = Tracker(config.root, config.replica_id, config.preview_budget_bytes, config.max_preview_bytes, clock)
        self._beat = 0
        self._stop = threading.Event()
        self._threads = []
        self._warned = set()

    # --- what ComfyUI does (called from the hooks) -------------------------------------------

    def on_queued(self, item):
        """A prompt entered this replica's queue: `(number, prompt_id, prompt, extra_data, outputs, …)`."""
        with self._guard("queue"):
            number, prompt_id, extra = item[0], item[1], item[3]
            marker = read_marker(prompt_id, extra)
            if not marker:
                return False
            client_id = extra.get("client_id") if isinstance(extra, dict) else None
            held = self.tracker.claim(prompt_id, marker[0], marker[1], client_id)
            held.journal.agent("accepted", detail={"number": number, "client_id": client_id})
            # Written at once: the relay knows an agent has the job before the POST is even answered.
            held.journal.flush()
            return True
        return False

    def on_text(self, event, data):
        with self._guard("text"):
            if not isinstance(data, dict):
                return
            prompt_id = data.get("prompt_id")
            held = self.tracker.get(prompt_id) if isinstance(prompt_id, str) else None
            if not held or held.state == "finished":
                return
            if event == "execution_start":
                self.tracker.start(prompt_id)
            held.journal.message(event, data)
            if event == "executing":
                if data.get("node") is None:
                    self.tracker.finish(prompt_id)
                else:
                    held.node = str(data.get("node"))
            elif event == "progress":
                held.progress = {"node": str(data.get("node")), "value": data.get("value", 0), "max": data.get("max", 0)}

    def on_binary(self, event, payload):
        with self._guard("binary"):
            payload = bytes(payload)
            if event == PREVIEW_IMAGE_WITH_METADATA:
                (length,) = struct.unpack(">I", payload[:4])
                meta = json.loads(payload[4 : 4 + length].decode("utf-8"))
                held = self.tracker.get(meta.get("prompt_id"))
                if held and held.state != "finished":
                    mime = "image/png" if meta.get("image_type") == "image/png" else "image/jpeg"
                    clean = {key: meta.get(key) for key in META_KEYS}
                    held.journal.preview(4, mime, clean, payload[4 + length :])
            elif event == PREVIEW_IMAGE:
                held = self.tracker.running_held()
                node = (held.progress or {}).get("node") or held.node if held else None
                if held and node:
                    (image_type,) = struct.unpack(">I", payload[:4])
                    meta = {"node_id": node, "prompt_id": held.job, "display_node_id": node, "parent_node_id": None, "real_node_id": node}
                    held.journal.preview(1, "image/png" if image_type == 2 else "image/jpeg", meta, payload[4:])
            elif event == TEXT:
                held = self.tracker.running_held()
                if held:
                    (length,) = struct.unpack(">I", payload[:4])
                    node = payload[4 : 4 + length].decode("utf-8", "replace")
                    held.journal.progress_text(node, payload[4 + length :].decode("utf-8", "replace"))

    # --- the agent's own work (its threads call these; tests call them directly) ---------------

    def flush(self):
        for journal in self.tracker.journals():
            if journal.has_pending:
                try:
                    journal.flush()
                except OSError as error:
                    self._warn_once("flush", "cannot write the journal (%s); retrying", error)
        self.tracker.forget_finished()

    def obey_cancels(self):
        """Act on a cancel marker for any prompt we hold (running: interrupt; pending: dequeue)."""
        for prompt_id, held in self.tracker.active():
            marker = read_json(paths.local(self.config.root, paths.cancel_rel(held.job)))
            if not _marker_covers(marker, held) or held.cancelled_upto >= held.attempt:
                continue
            detail = {"reason": marker.get("reason"), "marker_attempt": marker.get("attempt")}
            if held.state == "running" and self.comfy.running_prompt() == prompt_id:
                self.comfy.interrupt()
                outcome = "interrupted"
            elif held.state == "pending" and self.comfy.delete_pending(prompt_id):
                outcome = "dequeued"
            elif held.state == "pending" and prompt_id in self.comfy.queue_ids()[0]:
                continue  # it just started running: interrupt it on the next tick
            else:
                outcome = "not_found"
            held.cancelled_upto = marker.get("attempt")
            held.journal.agent("cancel", outcome=outcome, detail=detail)
            if outcome == "interrupted":
                held.journal.flush()
            else:
                self.tracker.finish(prompt_id)  # no ComfyUI message will follow: close the journal now
            log.info("comfyume agent: cancel of job %s (attempt %s): %s", held.job, held.attempt, outcome)

    def reconcile(self):
        """Prompts that left the queue without a word (someone else's POST /queue delete) are closed."""
        running, pending = self.comfy.queue_ids()
        for prompt_id, held in self.tracker.active():
            if held.state == "pending" and prompt_id not in pending and prompt_id not in running:
                held.journal.agent("cancel", outcome="dequeued", detail={"by": "comfyui"})
                self.tracker.finish(prompt_id)

    def beat(self):
        self._beat += 1
        payload = heartbeat_payload(self, self._beat)
        try:
            write_heartbeat(self.config.root, self.config.replica_id, payload)
        except OSError as error:
            self._warn_once("heartbeat", "cannot write the heartbeat (%s); retrying", error)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self):
        self._threads = [
            threading.Thread(target=self._loop, args=(self.config.flush_s, self._io_tick), name="comfyume-journal", daemon=True),
            threading.Thread(target=self._loop, args=(self.config.heartbeat_s, self._beat_tick), name="comfyume-heartbeat", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.flush()
        remove_heartbeat(self.config.root, self.config.replica_id)

    def _io_tick(self):
        self.obey_cancels()
        self.flush()

    def _beat_tick(self):
        self.reconcile()
        self.beat()

    def _loop(self, interval, tick):
        while not self._stop.is_set():
            with self._guard(tick.__name__):
                tick()
            self._stop.wait(interval)

    def _warn_once(self, key, message, *args):
        if key not in self._warned:
            self._warned.add(key)
            log.warning("comfyume agent: " + message, *args)

    def _guard(self, where):
        return _Guard(self, where)


def _marker_covers(marker, held):
    return (
        isinstance(marker, dict)
        and marker.get("v") == 1
        and marker.get("job") == held.job
        and isinstance(marker.get("attempt"), int)
        and marker.get("attempt") >= held.attempt
    )


class _Guard:
    """Logs (once per place) and swallows any error: the agent must never break ComfyUI."""

    def __init__(self, agent, where):
        self.agent = agent
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _tb):
        if error is not None and isinstance(error, Exception):
            self.agent._warn_once("error:" + self.where, "%s failed: %r", self.where, error)
            return True
        return False
