"""Attaching the agent to a running ComfyUI (PromptServer.instance), at custom-node import time.

What is wrapped, on the instance (server.py):
- `send_json(event, data, sid)` and `send_bytes(event, data, sid)`: `publish_loop` hands every
  message to `send`, which calls exactly one of them, in ComfyUI's FIFO order, also when the
  target sid has no socket (the relay's client id never has one). Previews arrive here already
  encoded (`send_image_with_metadata` / `send_image` end in `send_bytes`), so no image library
  is needed.
- `prompt_queue.put(item)`: a validated prompt entering the queue; our marker makes it ours.

Our client id is also registered as "supports_preview_metadata" in `sockets_metadata`, so
ComfyUI sends type-4 previews (node, display node, parent) for our prompts instead of bare
type-1 frames; a real socket connecting with that id replaces the entry, as ComfyUI does.
"""

import logging

log = logging.getLogger("comfyume_agent")


class ComfyView:
    """The little of ComfyUI the agent reads and acts on."""

    def __init__(self, instance, interrupt, version):
        self._instance = instance
        self._interrupt = interrupt
        self._version = version

    def queue_ids(self):
        queue = self._instance.prompt_queue
        getter = getattr(queue, "get_current_queue_volatile", None) or queue.get_current_queue
        running, pending = getter()
        return {item[1] for item in running}, {item[1] for item in pending}

    def running_prompt(self):
        running, _pending = self.queue_ids()
        last = getattr(self._instance, "last_prompt_id", None)
        return last if last in running else None

    def delete_pending(self, prompt_id):
        return bool(self._instance.prompt_queue.delete_queue_item(lambda item: item[1] == prompt_id))

    def interrupt(self):
        self._interrupt()

    def version(self):
        return self._version


def attach(agent, instance):
    """Wrap the instance's senders and queue so `agent` sees our prompts. Returns an undo function."""
    send_json = instance.send_json
    send_bytes = instance.send_bytes
    queue = instance.prompt_queue
    put = queue.put

    async def journaled_send_json(event, data, sid=None):
        agent.on_text(event, data)
        return await send_json(event, data, sid)

    async def journaled_send_bytes(event, data, sid=None):
        agent.on_binary(event, data)
        return await send_bytes(event, data, sid)

    def journaled_put(item):
        # Claimed before it is queued: the worker thread cannot start it before its journal exists.
        try:
            if agent.on_queued(item):
                _ask_for_metadata_previews(instance, item[3].get("client_id"))
        except Exception as error:  # never fail a queued prompt because of the agent
            log.warning("comfyume agent: could not take prompt %s: %r", item[1], error)
        return put(item)

    instance.send_json = journaled_send_json
    instance.send_bytes = journaled_send_bytes
    queue.put = journaled_put

    def undo():
        instance.send_json = send_json
        instance.send_bytes = send_bytes
        queue.put = put

    return undo


def _ask_for_metadata_previews(instance, client_id):
    metadata = getattr(instance, "sockets_metadata", None)
    sockets = getattr(instance, "sockets", {})
    if not isinstance(metadata, dict) or not client_id or client_id in sockets:
        return
    entry = metadata.setdefault(client_id, {"feature_flags": {}})
    entry.setdefault("feature_flags", {})["supports_preview_metadata"] = True
