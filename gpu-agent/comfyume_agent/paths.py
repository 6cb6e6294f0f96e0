"""Where the agent's files live under the GPU output folder.

Mirrors protocol/src/agent/paths.ts name for name; protocol/src/agent/fixtures/journal.example.json
lists the paths both must build.
"""

import os
import re

AGENT_ROOT = "comfyume"
REPLICAS_DIR = "replicas"
JOB_AGENT_DIR = ".agent"
CANCEL_FILE = "cancel.json"

REPLICA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def batch_file_name(seq):
    return "%08d.json" % seq


def journal_dir_name(attempt, replica_id):
    return "%d-%s" % (attempt, replica_id)


def heartbeat_rel(replica_id):
    return "/".join([AGENT_ROOT, REPLICAS_DIR, replica_id + ".json"])


def job_agent_rel(job_id):
    return "/".join([AGENT_ROOT, job_id, JOB_AGENT_DIR])


def cancel_rel(job_id):
    return job_agent_rel(job_id) + "/" + CANCEL_FILE


def journal_rel(job_id, attempt, replica_id):
    return job_agent_rel(job_id) + "/" + journal_dir_name(attempt, replica_id)


def local(root, rel):
    """A relative POSIX path from above, as a path under `root` on this host."""
    return os.path.join(root, *rel.split("/"))


def safe_replica_id(raw):
    """A replica id that names a file: disallowed characters become '-', at most 64, never empty."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", raw or "").lstrip(".-_")[:64]
    return cleaned if REPLICA_ID.match(cleaned) else "replica"
