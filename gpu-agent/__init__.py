"""ComfyuME GPU agent, installed as a ComfyUI custom node (no nodes of its own).

Copy this folder into ComfyUI's custom_nodes/ on every GPU replica (docker/gpu/ shows how);
ComfyUI's --output-directory must be the shared volume the relay reads (SFS_OUTPUT_DIR).
"""

import logging

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}

try:
    from .comfyume_agent import install

    install()
except Exception as error:  # a broken agent must never stop ComfyUI from starting
    logging.getLogger("comfyume_agent").error("comfyume agent: not installed: %r", error)
