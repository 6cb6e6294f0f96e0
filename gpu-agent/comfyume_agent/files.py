"""Whole-file writes a reader on another NFS host never sees half of.

The content goes to a dot-named temporary file in the same folder, is flushed and fsynced, then
renamed over the target (atomic on POSIX and on NFS within one folder); the folder is fsynced so
the rename itself survives a crash. Readers skip dot-named files.
"""

import json
import os


def atomic_write(path, data):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temp = os.path.join(folder, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def atomic_write_json(path, value):
    atomic_write(path, json.dumps(value, separators=(",", ":")).encode("utf-8"))


def read_json(path):
    """The JSON in a file, or None when it is missing or not JSON (a reader never raises on bad input)."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the rename is still atomic
    finally:
        os.close(fd)
