"""The atomic store: every file the harness writes appears whole or not at all (a temporary file
beside it, then a rename), a new run takes its file's name the moment it chooses it, and a
reader finds the newest file that still reads."""

import contextlib
import datetime as dt
import errno
import json
import os
import tempfile
from pathlib import Path

from ..errors import HarnessError
from .shapes import (
    ShapeError,
    readable,
)

# What a reserved file holds until its writer replaces it: valid JSON that says it is not done.
INCOMPLETE = b'{"complete": false}\n'


def timestamped(folder, now=None, content=INCOMPLETE):
    """Reserve `<folder>/<UTC timestamp>.json`, e.g. 20261123T120000Z.json, holding `content`.

    The name is taken the moment it is chosen: the file appears whole, by an exclusive hard
    link (no other process can take the same name), so two runs started in the same second
    get two files. A second file within the same second gets `_002`, which still sorts after
    the first. `content` should be a document its readers know as unfinished. OSError when the
    folder cannot be made or written.
    """
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".reserving.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are for anyone to read
        n = 1
        while True:
            path = folder / (f"{stamp}.json" if n == 1 else f"{stamp}_{n:03d}.json")
            try:
                _create_exclusively(tmp, path, content)
                return path
            except FileExistsError:
                n += 1
    finally:
        Path(tmp).unlink(missing_ok=True)


def _create_exclusively(tmp, path, content):
    try:
        os.link(tmp, path)  # fails if `path` exists, and the file appears with its content
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: an exclusive create, then the content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(content)


def check_writable(folder):
    """Make `folder` if need be and write a file in it; OSError when that cannot be done, so a
    command can say so before it spends minutes measuring."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


def json_files(folder):
    """The JSON files directly in `folder`, oldest first (their names are UTC timestamps)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def newest_valid(candidates, load, error=Exception):
    """(path, data, skipped) for the first of `candidates` (newest first) that `load` reads;
    `skipped` holds one message per newer file that raised `error`. (None, None, skipped) when
    none reads."""
    skipped = []
    for path in candidates:
        try:
            return path, load(path), skipped
        except error as e:
            skipped.append(str(e))
    return None, None, skipped


def _json_bytes(data):
    # NaN and infinity are refused because they are not JSON.
    return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("utf-8")


def write_atomic(path, data):
    """Write `data` as JSON to `path` via a temporary file in the same folder and a rename.

    A crash or an unserialisable value leaves the old file (or no file) and no temporary file:
    readers never see half a run.
    """
    return write_bytes_atomic(path, lambda: _json_bytes(data))


def save(path, data, unsaved=None, resume=None):
    """`write_atomic(path, data)` for a file a command fills as it measures (a run's, a
    sweep's), whose newest part `unsaved` names (a variant; None for the last rewrite, which
    marks the file complete). When the disk refuses it (full, say): HarnessError (exit 1)
    naming the file and what was kept. The file holds what it held before, marked with the
    reason where that can still be written (`mark_stopped`); the whole of `data` goes to a
    copy in the system's temporary folder; `unsaved`'s figures were printed as it finished.
    `resume(copy)`: the command that continues from the copy, if there is one."""
    try:
        write_atomic(path, data)
    except OSError as e:
        raise _not_saved(path, data, unsaved, e.strerror or str(e), resume) from None


def _not_saved(path, data, unsaved, why, resume):
    if unsaved is None:
        said = f"cannot mark {path} finished ({why}): it holds everything measured"
    else:
        said = (
            f"cannot save {unsaved} into {path} ({why}): its figures are printed above, and"
            " the file keeps what was measured before it"
        )
    try:
        mark_stopped(path, f"a write error ({why})")
        said += ", marked as stopped by the write error"
    except (OSError, ValueError) as e:
        said += f"; it could not be marked as stopped either ({getattr(e, 'strerror', None) or e})"
    try:
        copy = _copy_elsewhere(path, data)
    except OSError as e:
        said += f"; no copy could be written in {tempfile.gettempdir()} either ({e.strerror or e})"
    else:
        whole = f"everything measured, {unsaved} included," if unsaved else "a finished copy"
        said += f"; {whole} is in {copy}"
        said += f" ({resume(copy)} continues it)" if resume else ""
    return HarnessError(said, exit_code=1)


def mark_stopped(path, reason):
    """Say in `path` (a results or sweep file a command was filling) why it stops there: its
    `interrupted` field, e.g. SIGINT; the rest stays as the file holds it. OSError when the
    file cannot be read or written, ValueError when it no longer holds JSON."""
    data = json.loads(Path(path).read_bytes())
    data["interrupted"] = reason
    write_atomic(path, data)


def _copy_elsewhere(path, data):
    """A copy of `data` in the system's temporary folder, named after `path`; its path."""
    fd, copy = tempfile.mkstemp(prefix=f"{Path(path).stem}-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_json_bytes(data))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(copy, 0o644)
    except BaseException:
        Path(copy).unlink(missing_ok=True)
        raise
    return Path(copy)


def reserve(folder, data, option="--results-dir"):
    """A new timestamped file in `folder`, taken now with `data` in it (an unfinished run or
    sweep), so two runs into one folder never share a file and an unwritable folder is found
    before measuring. HarnessError naming `option` when the folder cannot be written."""
    try:
        return timestamped(folder, content=_json_bytes(data))
    except OSError as e:
        raise HarnessError(
            f"cannot write a file into {folder} ({e.strerror or e}): "
            f"choose a writable folder with {option}"
        ) from None


def write_bytes_atomic(path, content):
    """Write `content` (bytes, or a function making them) to `path` whole or not at all.

    A temporary file in the same folder, then a rename; a function is called only once that
    file exists, so an error while making the content leaves no trace either.
    """
    write_files_atomic({Path(path): content})
    return Path(path)


class NotRemoved(OSError):
    """Every file was written, but one that was to be removed could not be: a partial change,
    unlike the OSErrors before any file is replaced."""


def write_files_atomic(files):
    """Write every file of `files` ({path: bytes, a function making them, or None to remove
    it}) or none: all are written to temporary files beside their targets first, and only when
    every one is on disk (and no target, to replace or to remove, is a folder) are they renamed
    into place. OSError when nothing was changed; NotRemoved when the files were written but
    one to remove could not be (a failure no check beforehand can rule out)."""
    staged, made = [], []
    try:
        for path in files:
            # Replacing or removing a folder would fail after the others had replaced theirs.
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        for path, content in files.items():
            if content is None:
                continue
            made += _missing_folders(path.parent)
            staged.append((_stage(path, content), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        for folder in reversed(made):  # innermost first; only the empty ones this call made
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    for path, content in files.items():
        if content is None:
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                raise NotRemoved(e.errno, e.strerror, str(path)) from None
    for folder in {path.parent for path in files}:
        _fsync_dir(folder)  # make the renames themselves survive a power cut


def _missing_folders(folder):
    """The folders `folder` needs that do not exist yet, outermost first, now made."""
    missing = []
    while not folder.exists():
        missing.insert(0, folder)
        folder = folder.parent
    for f in missing:
        f.mkdir(exist_ok=True)
    return missing


def _stage(path, content):
    """A temporary file beside `path` holding `content`, synced to disk; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content() if callable(content) else content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are for anyone to read
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open folders; the data itself is already synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path, error, noun, constants=False):
    """The JSON in `path`, every text in it valid Unicode (`shapes.readable`); `error` (a
    HarnessError) naming the file when it is missing, unreadable, not JSON, holds NaN or
    infinity (unless `constants`: another tool's file may hold them where no table looks), or
    text no page can show. `noun` says what kind of file was expected."""
    refuse = None if constants else _refuse_constant
    try:
        with Path(path).open(encoding="utf-8") as f:
            data = json.load(f, parse_constant=refuse)
        readable(data)
    except FileNotFoundError:
        raise error(f"{path}: no such {noun} file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise error(f"{path}: not valid JSON ({e}); the file is corrupt") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a {noun} file") from None
    except ShapeError as e:
        raise error(f"{path}: {e}") from None
    except ValueError as e:  # NaN or Infinity: Python writes them, JSON has no such numbers
        raise error(f"{path}: not valid JSON ({e})") from None
    return data
