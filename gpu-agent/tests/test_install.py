"""Loading the folder the way ComfyUI loads a custom node attaches the agent to PromptServer.instance."""

import importlib.util
import os
import sys
import tempfile
import time
import types
import unittest

import comfyume_agent

from .fake_comfy import FakeServer, queue_item, run_prompt
from .support import JOB

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.server = FakeServer()
        self.saved = {name: sys.modules.get(name) for name in ("server", "nodes", "folder_paths", "comfyui_version")}
        sys.modules["server"] = types.SimpleNamespace(PromptServer=types.SimpleNamespace(instance=self.server))
        sys.modules["nodes"] = types.SimpleNamespace(interrupt_processing=self.server.interrupt)
        sys.modules["folder_paths"] = types.SimpleNamespace(get_output_directory=lambda: self.tmp.name)
        sys.modules["comfyui_version"] = types.SimpleNamespace(__version__="0.8.0")
        os.environ["COMFYUME_REPLICA_ID"] = "gpu-install"
        os.environ["COMFYUME_HEARTBEAT_S"] = "0.2"
        comfyume_agent._installed = None

    def tearDown(self):
        agent = comfyume_agent._installed
        if agent is not None:
            agent.stop()
        comfyume_agent._installed = None
        for name, module in self.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for name in ("COMFYUME_REPLICA_ID", "COMFYUME_HEARTBEAT_S", "COMFYUME_AGENT_DISABLED"):
            os.environ.pop(name, None)
        self.tmp.cleanup()

    def load_custom_node(self):
        spec = importlib.util.spec_from_file_location("comfyume-agent", os.path.join(HERE, "__init__.py"), submodule_search_locations=[HERE])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(spec.name, None)
        return module

    def test_the_custom_node_loads_with_no_nodes_and_starts_heartbeats_and_journals(self):
        module = self.load_custom_node()
        self.assertEqual(module.NODE_CLASS_MAPPINGS, {})
        heartbeat = os.path.join(self.tmp.name, "comfyume", "replicas", "gpu-install.json")
        deadline = time.time() + 5
        while not os.path.exists(heartbeat) and time.time() < deadline:
            time.sleep(0.02)
        self.assertTrue(os.path.exists(heartbeat))
        self.server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        run_prompt(self.server)
        journal = os.path.join(self.tmp.name, "comfyume", JOB, ".agent", "1-gpu-install")
        deadline = time.time() + 5
        while time.time() < deadline and not any("closed" in open(os.path.join(journal, n)).read() for n in os.listdir(journal)):
            time.sleep(0.02)
        self.assertTrue(any("closed" in open(os.path.join(journal, n)).read() for n in os.listdir(journal)))

    def test_disabled_by_environment(self):
        os.environ["COMFYUME_AGENT_DISABLED"] = "1"
        self.load_custom_node()
        self.assertIsNone(comfyume_agent._installed)
        self.server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "comfyume")))


if __name__ == "__main__":
    unittest.main()
