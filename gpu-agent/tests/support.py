"""Shared by the agent's tests: an agent attached to the stand-in ComfyUI, and journal readers."""

import json
import os
import tempfile

from comfyume_agent.agent import Agent
from comfyume_agent.config import Config
from comfyume_agent.hooks import ComfyView, attach
from comfyume_agent.paths import journal_rel, local

from .fake_comfy import FakeServer

JOB = "5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f"
OTHER = "0c9d8e7f-6a5b-4c3d-8e1f-2a3b4c5d6e7f"
REPLICA = "gpu-test"
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "protocol", "src", "agent", "fixtures", "journal.example.json")


class Rig:
    def __init__(self, **options):
        self.tmp = tempfile.TemporaryDirectory(prefix="comfyume-agent-")
        self.root = self.tmp.name
        self.server = FakeServer()
        self.now = [1767225600.0]
        config = Config(self.root, REPLICA, **options)
        self.agent = Agent(config, ComfyView(self.server, self.server.interrupt, "0.27.0"), clock=lambda: self.now[0])
        self.undo = attach(self.agent, self.server)

    def close(self):
        self.undo()
        self.tmp.cleanup()

    def journal_dir(self, job=JOB, attempt=1):
        return local(self.root, journal_rel(job, attempt, REPLICA))

    def batches(self, job=JOB, attempt=1):
        folder = self.journal_dir(job, attempt)
        if not os.path.isdir(folder):
            return []
        out = []
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name)) as handle:
                out.append((name, json.load(handle)))
        return out

    def records(self, job=JOB, attempt=1):
        return [record for _name, batch in self.batches(job, attempt) for record in batch["records"]]


def load_fixture():
    with open(FIXTURE) as handle:
        return json.load(handle)
