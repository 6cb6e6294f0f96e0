"""ComfyuME GPU agent: makes a serverless ComfyUI replica speak on the shared output volume.

For every prompt the relay submitted it journals ComfyUI's own messages and previews, writes the
replica's heartbeat, and obeys the relay's cancel markers (protocol/src/agent/journal.ts).
`install()` is called once when ComfyUI imports the custom node.
"""

import atexit
import logging
import os

from .agent import Agent
from .config import ConfigError, load_config
from .hooks import ComfyView, attach

log = logging.getLogger("comfyume_agent")
_installed = None


def install(env=None):
    """Attach to the running ComfyUI. Returns the Agent, or None when disabled or impossible."""
    global _installed
    if _installed is not None:
        return _installed
    env = os.environ if env is None else env
    if env.get("COMFYUME_AGENT_DISABLED", "").strip() in ("1", "true", "yes"):
        log.info("comfyume agent: disabled by COMFYUME_AGENT_DISABLED")
        return None
    import folder_paths  # ComfyUI's modules, importable once ComfyUI loads custom nodes
    import nodes
    import server

    instance = getattr(server.PromptServer, "instance", None)
    if instance is None:
        log.warning("comfyume agent: no PromptServer yet; not installed")
        return None
    try:
        from comfy.cli_args import args

        port = getattr(args, "port", None)
    except ImportError:
        port = None
    try:
        config = load_config(env, folder_paths.get_output_directory(), port)
    except ConfigError as error:
        log.error("comfyume agent: not installed: %s", error)
        return None
    agent = Agent(config, ComfyView(instance, nodes.interrupt_processing, _comfyui_version()))
    attach(agent, instance)
    agent.start()
    atexit.register(agent.stop)
    _installed = agent
    log.info("comfyume agent: replica %s journaling into %s", config.replica_id, config.root)
    return agent


def _comfyui_version():
    try:
        from comfyui_version import __version__

        return str(__version__)
    except ImportError:
        return "unknown"
