"""A minimal stand-in for ComfyUI's PromptServer and PromptQueue, for the agent's tests only.

It keeps the parts the agent touches, with ComfyUI's signatures (server.py, execution.py):
`send(event, data, sid)` dispatching to `send_json` / `send_bytes`, `sockets`,
`sockets_metadata`, `last_prompt_id`, and a queue with `put`, `get_current_queue_volatile` and
`delete_queue_item`. `run_prompt` emits a prompt's messages in the order execution.py sends them.
"""

import asyncio
import json
import struct


class FakeQueue:
    def __init__(self):
        self.pending = []
        self.running = {}
        self._next = 0

    def put(self, item):
        self.pending.append(item)

    def get(self):
        item = self.pending.pop(0)
        self._next += 1
        self.running[self._next] = item
        return item, self._next

    def task_done(self, item_id):
        self.running.pop(item_id, None)

    def get_current_queue_volatile(self):
        return list(self.running.values()), list(self.pending)

    def delete_queue_item(self, function):
        for index, item in enumerate(self.pending):
            if function(item):
                self.pending.pop(index)
                return True
        return False


class FakeServer:
    def __init__(self):
        self.sockets = {}
        self.sockets_metadata = {}
        self.last_prompt_id = None
        self.client_id = None
        self.prompt_queue = FakeQueue()
        self.sent = []
        self.interrupts = 0

    async def send_json(self, event, data, sid=None):
        self.sent.append(("json", event, data, sid))

    async def send_bytes(self, event, data, sid=None):
        self.sent.append(("bytes", event, bytes(data), sid))

    async def send(self, event, data, sid=None):
        if isinstance(data, (bytes, bytearray)):
            await self.send_bytes(event, data, sid)
        else:
            await self.send_json(event, data, sid)

    def interrupt(self):
        self.interrupts += 1


def queue_item(prompt_id, number=0, marker=None, client_id="comfyume-relay"):
    extra = {"client_id": client_id, "create_time": 1}
    if marker is not None:
        extra["comfyume"] = marker
    prompt = {"1": {"class_type": "EmptyImage", "inputs": {}}, "2": {"class_type": "SaveImage", "inputs": {}}}
    return (number, prompt_id, prompt, extra, ["2"], {})


def progress_state(prompt_id, nodes):
    return {
        "prompt_id": prompt_id,
        "nodes": {
            node: {"value": v, "max": m, "state": s, "node_id": node, "prompt_id": prompt_id, "display_node_id": node, "parent_node_id": None, "real_node_id": node}
            for node, (v, m, s) in nodes.items()
        },
    }


def preview_with_metadata(prompt_id, node, image):
    """`send_image_with_metadata`'s payload to send_bytes(4, …): [len][json][image]."""
    meta = json.dumps({"node_id": node, "prompt_id": prompt_id, "display_node_id": node, "parent_node_id": None, "real_node_id": node, "image_type": "image/jpeg"}).encode()
    return struct.pack(">I", len(meta)) + meta + image


def run_prompt(server, steps=2, image=b"\xff\xd8jpeg\xff\xd9", metadata=True, fail=False, sid="comfyume-relay"):
    """Take the next queued prompt and emit what ComfyUI sends for it (node 1 samples, node 2 saves)."""
    item, item_id = server.prompt_queue.get()
    prompt_id = item[1]
    server.last_prompt_id = prompt_id
    server.client_id = sid

    async def emit():
        await server.send("status", {"status": {"exec_info": {"queue_remaining": 1}}})
        await server.send("execution_start", {"prompt_id": prompt_id, "timestamp": 1}, sid)
        await server.send("execution_cached", {"nodes": [], "prompt_id": prompt_id, "timestamp": 1}, sid)
        await server.send("progress_state", progress_state(prompt_id, {"1": (0.0, 1.0, "running")}), sid)
        await server.send("executing", {"node": "1", "display_node": "1", "prompt_id": prompt_id}, sid)
        for step in range(1, steps + 1):
            await server.send("progress_state", progress_state(prompt_id, {"1": (step, steps, "running")}), sid)
            if metadata:
                await server.send(4, preview_with_metadata(prompt_id, "1", image + bytes([step])), sid)
            await server.send("progress", {"value": step, "max": steps, "prompt_id": prompt_id, "node": "1"}, sid)
            if not metadata:
                await server.send(1, struct.pack(">I", 1) + image + bytes([step]), sid)
        if fail:
            await server.send("execution_error", {"prompt_id": prompt_id, "node_id": "1", "node_type": "EmptyImage", "executed": [], "exception_message": "boom", "exception_type": "RuntimeError", "traceback": [], "current_inputs": {}, "current_outputs": [], "timestamp": 2}, sid)
        else:
            await server.send("progress_state", progress_state(prompt_id, {"1": (steps, steps, "finished"), "2": (0.0, 1.0, "running")}), sid)
            await server.send("executing", {"node": "2", "display_node": "2", "prompt_id": prompt_id}, sid)
            output = {"images": [{"filename": "x_00001_.png", "subfolder": "comfyume/%s/2" % prompt_id, "type": "output"}]}
            await server.send("executed", {"node": "2", "display_node": "2", "output": output, "prompt_id": prompt_id}, sid)
            await server.send("progress_state", progress_state(prompt_id, {"1": (steps, steps, "finished"), "2": (1.0, 1.0, "finished")}), sid)
            await server.send("execution_success", {"prompt_id": prompt_id, "timestamp": 2}, sid)
        server.prompt_queue.task_done(item_id)
        await server.send("status", {"status": {"exec_info": {"queue_remaining": 0}}})
        await server.send("executing", {"node": None, "prompt_id": prompt_id}, sid)

    asyncio.run(emit())
    return prompt_id
