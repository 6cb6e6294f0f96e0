"""Writes the agent's files for one stand-in run into a folder, for the TypeScript side to check.

Usage: python3 gpu-agent/tests/example_run.py <output-folder>
Prints the job id. test/integration/gpu-agent-python.test.ts parses every file with the zod
schemas of protocol/src/agent/journal.ts: one format, two languages.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from comfyume_agent.agent import Agent  # noqa: E402
from comfyume_agent.config import Config  # noqa: E402
from comfyume_agent.files import atomic_write_json  # noqa: E402
from comfyume_agent.hooks import ComfyView, attach  # noqa: E402
from comfyume_agent.paths import cancel_rel, local  # noqa: E402
from tests.fake_comfy import FakeServer, queue_item, run_prompt  # noqa: E402

JOB = "5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f"
WAITING = "0c9d8e7f-6a5b-4c3d-8e1f-2a3b4c5d6e7f"


def main(root):
    server = FakeServer()
    agent = Agent(Config(root, "gpu-example"), ComfyView(server, server.interrupt, "0.27.0"))
    attach(agent, server)
    server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
    server.prompt_queue.put(queue_item(WAITING, number=1, marker={"job": WAITING, "attempt": 1}))
    run_prompt(server, metadata=True)
    agent.beat()
    atomic_write_json(local(root, cancel_rel(WAITING)), {"v": 1, "job": WAITING, "attempt": 1, "reason": "user", "at": 1})
    agent.obey_cancels()
    agent.flush()
    print(JOB)


if __name__ == "__main__":
    main(sys.argv[1])
