"""The replica's heartbeat: `comfyume/replicas/<replicaId>.json`, rewritten whole every few seconds.

The relay judges liveness by its own clock (when the content last changed, via `beat`), so clocks
on the GPU hosts need not agree with it. `startedAt` tells a restarted replica with the same id
apart from the one that held the jobs before.
"""

import os

from . import paths
from .files import atomic_write_json
from .version import AGENT_VERSION, FORMAT_VERSION


def heartbeat_payload(agent, beat):
    running = None
    pending = []
    for _prompt_id, held in agent.tracker.active():
        if held.state == "running":
            running = {"job": held.job, "attempt": held.attempt, "node": held.node, "progress": held.progress}
        elif held.state == "pending":
            pending.append({"job": held.job, "attempt": held.attempt})
    return {
        "v": FORMAT_VERSION,
        "replica": agent.config.replica_id,
        "startedAt": agent.started_at,
        "at": int(agent.clock() * 1000),
        "beat": beat,
        "comfyui": agent.comfy.version()[:64],
        "agent": AGENT_VERSION,
        "intervalS": agent.config.heartbeat_s,
        "running": running,
        "pending": pending[:1000],
    }


def heartbeat_file(root, replica_id):
    return paths.local(root, paths.heartbeat_rel(replica_id))


def write_heartbeat(root, replica_id, payload):
    atomic_write_json(heartbeat_file(root, replica_id), payload)


def remove_heartbeat(root, replica_id):
    """A replica shutting down cleanly says so by removing its heartbeat."""
    try:
        os.unlink(heartbeat_file(root, replica_id))
    except OSError:
        pass
