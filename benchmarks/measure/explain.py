"""The explanation pass's work after its loop (`loop.py --explain N`): the peak's attribution
from the snapshot taken at checkpoint N, then the cycle census. Imported only by that pass."""

from . import attribution, census


def after_loop(live, step, new_input):
    """What the explanation pass reports: {"attribution": ..., "census": ...}; a part that could
    not be taken is {"error": why}, and the other part still stands."""
    found = {}
    if live.snapshot is None:
        missed = "checkpoint" if live.snapshot_at is not None else "bytes, at no call or return"
        if live.snapshot_range is not None:
            missed += ", nor a later checkpoint holding as much as the traced pass's most"
        found["attribution"] = {"error": f"the loop ended before the peak's {missed}"}
    else:
        found["attribution"] = attribution.attribute(live.snapshot)
        found["attribution"]["checkpoint"] = live.snapshot_at
        if live.snapshot_checkpoint is not None:
            kind, iteration = live.snapshot_checkpoint
            found["attribution"]["at"] = {"kind": live.KINDS[kind], "iter": iteration}
        if live.snapshot_where is not None:  # taken inside an iteration, by LiveProbe.watch
            event, function, filename, line = live.snapshot_where
            found["attribution"]["where"] = {
                "event": event,
                "function": function,
                "file": attribution.shown(filename),
                "line": line,
            }
        live.snapshot = None  # free the snapshot's traces before the census runs
    found["census"] = census.take(step, new_input)
    return found
