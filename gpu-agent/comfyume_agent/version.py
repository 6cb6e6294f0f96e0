"""The agent's version (heartbeat `agent`) and the file format it writes (protocol/src/agent/journal.ts)."""

AGENT_VERSION = "1.0.0"
FORMAT_VERSION = 1
