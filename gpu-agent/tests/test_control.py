"""Heartbeat (atomic, what the replica holds), cancel markers (interrupt or dequeue, journaled), config."""

import json
import os
import unittest

from comfyume_agent.config import ConfigError, load_config
from comfyume_agent.files import atomic_write_json
from comfyume_agent.paths import cancel_rel, heartbeat_rel, local, safe_replica_id

from .fake_comfy import queue_item, run_prompt
from .support import JOB, OTHER, REPLICA, Rig, load_fixture


def write_marker(rig, job, attempt, reason="user"):
    atomic_write_json(local(rig.root, cancel_rel(job)), {"v": 1, "job": job, "attempt": attempt, "reason": reason, "at": 1})


class HeartbeatTest(unittest.TestCase):
    def setUp(self):
        self.rig = Rig(heartbeat_s=2.0)

    def tearDown(self):
        self.rig.close()

    def read(self):
        with open(local(self.rig.root, heartbeat_rel(REPLICA))) as handle:
            return json.load(handle)

    def test_says_what_runs_and_what_waits_and_is_rewritten_whole(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        server.prompt_queue.put(queue_item(OTHER, number=1, marker={"job": OTHER, "attempt": 2}))
        self.rig.agent.beat()
        first = self.read()
        self.assertEqual(first["running"], None)
        self.assertEqual(first["pending"], [{"job": JOB, "attempt": 1}, {"job": OTHER, "attempt": 2}])
        self.assertEqual(set(first), set(load_fixture()["heartbeat"]))
        self.assertEqual((first["replica"], first["comfyui"], first["beat"]), (REPLICA, "0.27.0", 1))

        import asyncio

        server.prompt_queue.get()
        asyncio.run(server.send("execution_start", {"prompt_id": JOB, "timestamp": 1}))
        asyncio.run(server.send("executing", {"node": "3", "display_node": "3", "prompt_id": JOB}))
        asyncio.run(server.send("progress", {"value": 4, "max": 20, "prompt_id": JOB, "node": "3"}))
        self.rig.agent.beat()
        second = self.read()
        self.assertEqual(second["running"], {"job": JOB, "attempt": 1, "node": "3", "progress": {"node": "3", "value": 4, "max": 20}})
        self.assertEqual(second["pending"], [{"job": OTHER, "attempt": 2}])
        self.assertEqual(second["beat"], 2)
        folder = os.path.dirname(local(self.rig.root, heartbeat_rel(REPLICA)))
        self.assertEqual(os.listdir(folder), [REPLICA + ".json"])  # no temp file left behind

    def test_a_clean_stop_removes_the_heartbeat(self):
        self.rig.agent.beat()
        self.rig.agent.stop()
        self.assertFalse(os.path.exists(local(self.rig.root, heartbeat_rel(REPLICA))))


class CancelTest(unittest.TestCase):
    def setUp(self):
        self.rig = Rig()

    def tearDown(self):
        self.rig.close()

    def cancel_records(self, job=JOB, attempt=1):
        return [r for r in self.rig.records(job, attempt) if r.get("event") == "cancel"]

    def test_a_pending_prompt_is_dequeued_and_its_journal_closed(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(OTHER, marker={"job": OTHER, "attempt": 1}))
        server.prompt_queue.put(queue_item(JOB, number=1, marker={"job": JOB, "attempt": 1}))
        write_marker(self.rig, JOB, 1)
        self.rig.agent.obey_cancels()
        self.assertEqual([item[1] for item in server.prompt_queue.pending], [OTHER])
        self.assertEqual([r["outcome"] for r in self.cancel_records()], ["dequeued"])
        self.assertEqual(self.rig.records()[-1]["event"], "closed")
        self.assertEqual(server.interrupts, 0)

    def test_the_running_prompt_is_interrupted_once_and_only_if_it_is_ours(self):
        import asyncio

        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        server.prompt_queue.get()
        server.last_prompt_id = JOB
        asyncio.run(server.send("execution_start", {"prompt_id": JOB, "timestamp": 1}))
        write_marker(self.rig, OTHER, 1)  # another job's marker: nothing happens
        self.rig.agent.obey_cancels()
        self.assertEqual(server.interrupts, 0)
        write_marker(self.rig, JOB, 1)
        self.rig.agent.obey_cancels()
        self.rig.agent.obey_cancels()  # the marker stays; it is obeyed once
        self.assertEqual(server.interrupts, 1)
        self.assertEqual([r["outcome"] for r in self.cancel_records()], ["interrupted"])

    def test_a_marker_for_an_earlier_attempt_leaves_the_resubmitted_one_alone(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 2}))
        write_marker(self.rig, JOB, 1, reason="superseded")
        self.rig.agent.obey_cancels()
        self.assertEqual(len(server.prompt_queue.pending), 1)
        self.assertEqual(self.cancel_records(attempt=2), [])

    def test_bad_markers_are_ignored(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        path = local(self.rig.root, cancel_rel(JOB))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("{not json")
        self.rig.agent.obey_cancels()
        atomic_write_json(path, {"v": 9, "job": JOB, "attempt": 1})
        self.rig.agent.obey_cancels()
        self.assertEqual(len(server.prompt_queue.pending), 1)

    def test_a_prompt_deleted_by_someone_else_is_journaled_as_dequeued(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        server.prompt_queue.delete_queue_item(lambda item: item[1] == JOB)
        self.rig.agent.reconcile()
        self.assertEqual([r["outcome"] for r in self.cancel_records()], ["dequeued"])

    def test_a_finished_prompt_is_not_touched(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        run_prompt(server)
        write_marker(self.rig, JOB, 1)
        self.rig.agent.obey_cancels()
        self.assertEqual(server.interrupts, 0)
        self.rig.agent.flush()
        self.assertEqual(self.cancel_records(), [])


class ConfigTest(unittest.TestCase):
    def test_defaults_and_overrides(self):
        config = load_config({}, "/mnt/sfs/output", port=8188)
        self.assertEqual((config.heartbeat_s, config.flush_s, config.preview_budget_bytes), (2.0, 0.1, 8 << 20))
        self.assertTrue(config.replica_id.endswith("-8188"))
        config = load_config({"COMFYUME_REPLICA_ID": "../../etc/gpu 1", "COMFYUME_HEARTBEAT_S": "1"}, "/out")
        self.assertEqual(config.replica_id, "etc-gpu-1")
        self.assertEqual(config.heartbeat_s, 1.0)

    def test_bad_values_are_refused_with_their_name(self):
        with self.assertRaises(ConfigError) as caught:
            load_config({"COMFYUME_HEARTBEAT_S": "often"}, "/out")
        self.assertIn("COMFYUME_HEARTBEAT_S", str(caught.exception))
        with self.assertRaises(ConfigError):
            load_config({"COMFYUME_FLUSH_MS": "0"}, "/out")
        with self.assertRaises(ConfigError):
            load_config({}, "")

    def test_replica_ids_always_name_a_file(self):
        for raw in ["../x", "a/b", ".hidden", "", "x" * 200, "gpu:1"]:
            self.assertRegex(safe_replica_id(raw), r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


if __name__ == "__main__":
    unittest.main()
