"""The agent's settings, from environment variables (each optional), checked once at start.

COMFYUME_AGENT_DIR           the shared output folder (default: ComfyUI's --output-directory)
COMFYUME_REPLICA_ID          this replica's id (default: host name and port)
COMFYUME_HEARTBEAT_S         seconds between heartbeats (default 2)
COMFYUME_FLUSH_MS            milliseconds between journal writes and cancel checks (default 100)
COMFYUME_PREVIEW_BUDGET_MB   previews journaled per job attempt before they are dropped (default 8)
COMFYUME_MAX_PREVIEW_KB      a single preview larger than this is dropped (default 1024)
COMFYUME_AGENT_DISABLED      set to 1 to load the node without journaling anything
"""

import os
import socket

from .paths import safe_replica_id


class ConfigError(ValueError):
    pass


class Config:
    def __init__(self, root, replica_id, heartbeat_s=2.0, flush_s=0.1, preview_budget_bytes=8 << 20, max_preview_bytes=1 << 20):
        self.root = root
        self.replica_id = replica_id
        self.heartbeat_s = heartbeat_s
        self.flush_s = flush_s
        self.preview_budget_bytes = preview_budget_bytes
        self.max_preview_bytes = max_preview_bytes


def _number(env, name, default, low, high):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError("%s=%r is not a number" % (name, raw))
    if not low <= value <= high:
        raise ConfigError("%s=%s must be between %s and %s" % (name, raw, low, high))
    return value


def load_config(env, default_root, port=None):
    """A Config from `env`; raises ConfigError naming every bad variable's problem."""
    root = env.get("COMFYUME_AGENT_DIR", "").strip() or default_root
    if not root:
        raise ConfigError("no output folder: set COMFYUME_AGENT_DIR or start ComfyUI with --output-directory")
    raw_id = env.get("COMFYUME_REPLICA_ID", "").strip()
    if not raw_id:
        raw_id = socket.gethostname() + ("-%s" % port if port else "")
    return Config(
        root=os.path.abspath(root),
        replica_id=safe_replica_id(raw_id),
        heartbeat_s=_number(env, "COMFYUME_HEARTBEAT_S", 2.0, 0.2, 60),
        flush_s=_number(env, "COMFYUME_FLUSH_MS", 100, 10, 5000) / 1000.0,
        preview_budget_bytes=int(_number(env, "COMFYUME_PREVIEW_BUDGET_MB", 8, 0, 1024) * (1 << 20)),
        max_preview_bytes=int(_number(env, "COMFYUME_MAX_PREVIEW_KB", 1024, 1, 65536) * 1024),
    )
