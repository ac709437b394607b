"""Which results files the report shows: the one asked for, or the newest valid one with those
measured with it, which of several leads the sections, and the earlier run the history compares
with."""

from pathlib import Path

from ..files import environments, store
from ..files import results as results_files


def shown(results, results_dir):
    """(path, data, notices, pool, lead): the results file to show, the files pooled with it
    for the "Across environments" section, and why it leads them (`lead`); ResultsError when
    there is none."""
    if isinstance(results, str | Path):
        results = [results]
    pool_notices = []
    if results is None:
        path, data, skipped = results_files.newest_valid(results_dir)
        pool = [(path, data), *_same_batch(results_dir, path, data)]
        if skipped:
            pool_notices.append(
                f"The newest results could not be read, so this report shows the newest valid"
                f" file, {path.name}{' and those measured with it' if len(pool) > 1 else ''}."
                f" Skipped: {'; '.join(skipped)}"
            )
    elif len(results) == 1 and not Path(results[0]).is_dir():
        path, data = Path(results[0]), results_files.load(results[0])
        pool = [(path, data)]
    else:
        pool, pool_notices = _pooled(results)
    path, data, leads = lead(pool)
    notices = pool_notices
    if data.get("complete") is False:  # the engine rewrites the file after every variant
        how = (
            f"was interrupted by {data['interrupted']}"
            if data.get("interrupted")
            else "has not finished (or was stopped without a word)"
        )
        notices.append(
            f"{path.name} is from a run that {how}: it holds"
            f" {len(data['variants'])} variant(s) so far."
        )
    return path, data, notices, pool, leads


def lead(pool):
    """(path, data, why) of the file the report's sections show, of the files in `pool`: the
    newest measured with the interpreter running the harness ("own"), else the newest."""

    def newest(source):
        return str(source[1]["environment"].get("started")), source[0].name

    own = [s for s in pool if environments.is_own(environments.of(s[1]))]
    path, data = max(own or pool, key=newest)
    return path, data, "own" if own else "newest"


def _pooled(given):
    """(pool, notices) for several files or folders: every file that loads; each file that
    does not load named in a notice and passed over."""
    files = []
    for item in map(Path, given):
        files += store.json_files(item) if item.is_dir() else [item]
    pool, notices = [], []
    for file in dict.fromkeys(files):
        try:
            pool.append((file, results_files.load(file)))
        except results_files.ResultsError as e:
            notices.append(f"Left out of this report: {e}")
    if not pool:
        raise results_files.ResultsError(
            f"no valid results file in {', '.join(map(str, given))}"
            + (f" ({'; '.join(notices)})" if notices else "")
        )
    return pool, notices


def _same_batch(results_dir, shown, data):
    """The other files one `run --python A --python B` wrote with `shown`, valid ones only."""
    batch = data["environment"].get("batch")
    if not batch:
        return []
    found = []
    for file in store.json_files(results_dir):
        if file.resolve() == Path(shown).resolve():
            continue
        try:
            other = results_files.load(file)
        except results_files.ResultsError:
            continue  # the newest-file scan already named unreadable newer files
        if other["environment"].get("batch") == batch:
            found.append((file, other))
    return found


def previous(results_dir, shown, data):
    """(path, data) of the newest valid results file named before `shown` and measured in its
    environment, or None: another interpreter's peaks differ by its collector, not by the code."""
    older = [
        p
        for p in reversed(store.json_files(results_dir))
        if p.name < shown.name and p.resolve() != shown.resolve()
    ]
    # An unreadable old run only means less history.
    return environments.newest_of_same(older, environments.of(data))
