"""Journal records: only the relay's prompts, every message in order, whole numbered batch files."""

import base64
import os
import unittest

from comfyume_agent.journal import JournalWriter

from .fake_comfy import queue_item, run_prompt
from .support import JOB, OTHER, REPLICA, Rig, load_fixture


class JournalRecordsTest(unittest.TestCase):
    def setUp(self):
        self.rig = Rig()

    def tearDown(self):
        self.rig.close()

    def test_journals_every_message_of_a_marked_prompt_in_wire_order(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        # Claimed at once, before the prompt runs: the relay sees the journal before the POST answer.
        self.assertEqual([r["event"] for r in self.rig.records()], ["accepted"])
        run_prompt(server)
        self.rig.agent.flush()
        records = self.rig.records()
        sent = [(event, data) for kind, event, data, _sid in server.sent if kind == "json" and event != "status"]
        messages = [(r["type"], r["data"]) for r in records if r["kind"] == "message"]
        self.assertEqual(messages, sent)
        self.assertEqual([r["n"] for r in records], list(range(len(records))))
        self.assertEqual(records[-1]["event"], "closed")
        self.assertEqual(records[-1]["detail"]["records"], len(records))
        # Both previews fell in one batch: only the newest of the node is kept, and the drop is said.
        previews = [r for r in records if r["kind"] == "preview"]
        self.assertEqual(len(previews), 1)
        self.assertEqual(base64.b64decode(previews[0]["image"]), b"\xff\xd8jpeg\xff\xd9\x02")
        self.assertEqual(previews[0]["meta"]["node_id"], "1")
        self.assertEqual(previews[0]["source"], 4)
        self.assertEqual([r["detail"]["dropped"] for r in records if r.get("event") == "previews_thinned"], [1])
        # ComfyUI itself still got everything it sent.
        self.assertEqual(len([s for s in server.sent if s[0] == "bytes"]), 2)

    def test_ignores_prompts_without_a_valid_marker(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(OTHER))  # a prompt someone else queued
        server.prompt_queue.put(queue_item(JOB, number=1, marker={"job": OTHER, "attempt": 1}))  # marker for another id
        server.prompt_queue.put(queue_item(JOB, number=2, marker={"job": JOB, "attempt": "1"}))
        run_prompt(server)
        run_prompt(server)
        run_prompt(server)
        self.rig.agent.flush()
        self.assertFalse(os.path.exists(os.path.join(self.rig.root, "comfyume")))

    def test_type1_previews_are_attributed_to_the_node_that_reported_progress(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 2}))
        run_prompt(server, metadata=False)
        self.rig.agent.flush()
        previews = [r for r in self.rig.records(attempt=2) if r["kind"] == "preview"]
        self.assertEqual([p["source"] for p in previews], [1])
        self.assertEqual(base64.b64decode(previews[0]["image"]), b"\xff\xd8jpeg\xff\xd9\x02")
        self.assertEqual(previews[0]["meta"], {"node_id": "1", "prompt_id": JOB, "display_node_id": "1", "parent_node_id": None, "real_node_id": "1"})

    def test_asks_comfyui_for_metadata_previews_for_the_relay_client(self):
        self.rig.server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        flags = self.rig.server.sockets_metadata["comfyume-relay"]["feature_flags"]
        self.assertIs(flags["supports_preview_metadata"], True)

    def test_bad_frames_never_reach_comfyui_as_errors(self):
        import asyncio

        self.rig.server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        with self.assertLogs("comfyume_agent", "WARNING") as logs:
            asyncio.run(self.rig.server.send(4, b"\x00\x00\x00\x02{]garbage"))
            asyncio.run(self.rig.server.send(4, b"\x00\x00\x00\x02{]again"))
            asyncio.run(self.rig.server.send("executing", ["not", "a", "dict"]))
        self.assertEqual(len(logs.output), 1)  # one line, however often it happens
        self.assertEqual(len(self.rig.server.sent), 3)

    def test_batches_are_whole_files_named_in_order_with_no_temp_files_left(self):
        server = self.rig.server
        server.prompt_queue.put(queue_item(JOB, marker={"job": JOB, "attempt": 1}))
        item, _ = server.prompt_queue.get()
        import asyncio

        for step in range(3):
            asyncio.run(server.send("progress", {"value": step, "max": 3, "prompt_id": JOB, "node": "1"}))
            self.rig.agent.flush()
        names = os.listdir(self.rig.journal_dir())
        self.assertEqual(sorted(names), ["00000001.json", "00000002.json", "00000003.json", "00000004.json"])
        self.assertEqual([b["seq"] for _n, b in self.rig.batches()], [1, 2, 3, 4])
        self.assertTrue(all(b["replica"] == REPLICA and b["job"] == JOB and b["v"] == 1 for _n, b in self.rig.batches()))


class JournalWriterTest(unittest.TestCase):
    def setUp(self):
        import tempfile

        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def writer(self, budget=1 << 20, max_preview=1 << 20):
        return JournalWriter(self.tmp.name, JOB, 1, REPLICA, budget, max_preview, clock=lambda: 1.0)

    def test_a_failed_write_keeps_every_record_for_the_next_one(self):
        writer = self.writer()
        os.makedirs(os.path.dirname(writer.folder), exist_ok=True)
        with open(writer.folder, "w") as blocker:  # the folder cannot be created: writes fail
            blocker.write("x")
        writer.message("execution_start", {"prompt_id": JOB})
        with self.assertRaises(OSError):
            writer.flush()
        os.unlink(writer.folder)
        writer.message("executing", {"node": None, "prompt_id": JOB})
        self.assertEqual(writer.flush(), 2)
        self.assertEqual(os.listdir(writer.folder), ["00000001.json"])

    def test_previews_are_thinned_per_node_and_budgeted_but_text_never_dropped(self):
        writer = self.writer(budget=25, max_preview=12)
        meta = lambda node: {"node_id": node, "prompt_id": JOB, "display_node_id": node, "parent_node_id": None, "real_node_id": node}
        for step in range(5):
            writer.message("progress", {"value": step, "max": 5, "prompt_id": JOB, "node": "3"})
            writer.preview(4, "image/jpeg", meta("3"), b"a" * 10)
        writer.preview(4, "image/jpeg", meta("9"), b"b" * 13)  # larger than one preview may be
        writer.flush()
        writer.preview(4, "image/jpeg", meta("3"), b"c" * 10)
        writer.preview(4, "image/jpeg", meta("3"), b"d" * 10)  # newest of this batch, but over budget
        writer.message("execution_success", {"prompt_id": JOB})
        writer.close()
        import json

        records = []
        for name in sorted(os.listdir(writer.folder)):
            with open(os.path.join(writer.folder, name)) as handle:
                records += json.load(handle)["records"]
        kinds = [(r["kind"], r.get("type") or r.get("event")) for r in records]
        self.assertEqual([k for k in kinds if k[0] == "message"], [("message", "progress")] * 5 + [("message", "execution_success")])
        previews = [base64.b64decode(r["image"]) for r in records if r["kind"] == "preview"]
        self.assertEqual(previews, [b"a" * 10, b"d" * 10])
        thinned = [r["detail"] for r in records if r.get("event") == "previews_thinned"]
        self.assertEqual([t["dropped"] for t in thinned], [5, 1])
        self.assertEqual(records[-1]["event"], "closed")
        self.assertEqual(writer.preview_bytes, 20)


class FixtureShapesTest(unittest.TestCase):
    """What the agent writes has the shapes of protocol/src/agent/fixtures/journal.example.json."""

    def test_records_batches_and_paths_match_the_shared_fixture(self):
        fixture = load_fixture()
        expected = {}
        for batch in fixture["batches"]:
            for record in batch["records"]:
                key = (record["kind"], record.get("type") or record.get("event"))
                expected.setdefault(key, set(record))
        rig = Rig()
        try:
            rig.server.prompt_queue.put(queue_item(JOB, marker=fixture["marker"]["comfyume"]))
            run_prompt(rig.server)
            rig.agent.flush()
            batches = rig.batches()
            for _name, batch in batches:
                self.assertEqual(set(batch), set(fixture["batches"][0]))
            seen = 0
            for record in rig.records():
                key = (record["kind"], record.get("type") or record.get("event"))
                if key in expected:
                    seen += 1
                    self.assertEqual(set(record), expected[key], key)
            self.assertGreater(seen, 8)
            rel = os.path.relpath(os.path.join(rig.journal_dir(), "00000001.json"), rig.root).replace(os.sep, "/")
            self.assertEqual(rel, fixture["paths"]["batch1"].replace(fixture["replica"], REPLICA))
        finally:
            rig.close()


if __name__ == "__main__":
    unittest.main()
