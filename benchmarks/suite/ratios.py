"""Ours against the peers, timed side by side in one process: the speed step's ratios.

One table, `comparisons()`, says what is compared: each row is our callable, a reference (HIPS
autograd's backward pass, PyTorch's forward, the plain numpy loop) and the ratio it aims at.
Rows that share a reference are timed together, in interleaved rounds (`interleave`), and the
ratios go into a ratios file (`ratio_files`, schema in reports/README.md). A reference whose
peer is not installed leaves its rows without a ratio and with the reason, never with a zero.

The speed step runs this in a fresh process: `python -m benchmarks.suite.ratios --out FILE`.
"""

import argparse
import functools
import gc
import itertools
import shlex
import sys
from dataclasses import dataclass, replace

from .. import engines as E
from .. import workloads as W
from ..files import ratios as ratio_files
from ..files import store
from ..measure import argtypes
from ..workloads import classic, graphs
from ..workloads import variants as V
from . import interleave
from .interleave import Plan, Subject

BACKWARD = "backward vs HIPS autograd"
FORWARD = "forward vs PyTorch"
NO_GRAD = "no_grad vs numpy"
DESIGNS = "designs vs plain, deep chain"
TABLES = (BACKWARD, FORWARD, NO_GRAD, DESIGNS)
DEPTH = 3  # squares in the classic step, forward and loop alike
# The most each ratio may be for the engine to meet its targets (ours over the reference).
TARGETS = {
    "backward, chains": 0.9,  # negations and squares, 1,000 to 100,000 ops, both graphs
    "backward, wide graph": 1.0,
    "forward, weak graph": 0.7,
    "forward, strong graph": 0.9,
    "no_grad": 1.03,
    # What saving memory may cost (issue: checkpointing every sqrt(n) ops at no more than 1.5x
    # the plain run's time; freeing recomputes nothing, so it should cost nothing).
    "free": 1.0,
    "checkpoint": 1.5,
}

# One classic-loop iteration is about 50 µs of memory-bound numpy work, and no_grad's whole
# margin is 3% of it: its blocks are 5 times as long, so a moment of the host's noise moves the
# best block of a side by less (docs/measurement.md, "Speed").
LONGER_BLOCKS = {NO_GRAD: 5}


@dataclass(frozen=True)
class Sizes:
    chain_ops: tuple[int, ...] = (1_000, 10_000, 100_000)
    width: int = 1_000  # squares in the wide graph
    loop_elements: int = 100_000  # per array in the classic loop
    deep_chain: int = W.DEEP_CHAIN.depth  # tanh ops in the deep chain


DEFAULT_SIZES = Sizes()
QUICK = Sizes(chain_ops=(100,), width=100, loop_elements=1_000, deep_chain=9)  # plumbing
DEFAULT_PLAN = Plan(freeze=True)  # for the process that only measures: see Plan.freeze
QUICK_PLAN = Plan(max_rounds=2, min_rounds=2, block_s=0.001, budget_s=0.1, freeze=True)


@dataclass(frozen=True)
class Comparison:
    name: str  # unique, stable between runs: the gate pairs files by it
    table: str  # one of TABLES
    what: str  # the workload in words
    ours: Subject
    reference: Subject
    target: float | None  # the ratio ours aims to stay at or under; None for a user's engine
    ops: int  # ops per call, for times per op


def comparisons(sizes=DEFAULT_SIZES, user=()):
    """The table of comparisons: what ours is timed against, and the ratio it aims at; then
    each of the `user` engines (loaded Engines) against the same references, without a target."""
    rows = []
    chains = [
        (s, n, TARGETS["backward, chains"]) for n in sizes.chain_ops for s in ("neg", "square")
    ]
    hips_engine = E.builtin()["autograd"]
    ours_engine = V.BY_NAME["weak-backward"].engine
    for shape, size, target in [*chains, ("wide", sizes.width, TARGETS["backward, wide graph"])]:
        hips = _hips(hips_engine, shape, size)
        ops = 2 * size - 1 if shape == "wide" else size  # the wide graph's adds count too
        for graph in V.OURS:
            ours = _backward(
                f"{graph}-{shape}-{size}",
                f"{graph} graph: y.backward()",
                V.Variant(ours_engine, graph, "backward"),
                shape,
                size,
            )
            what = f"{graphs.describe(shape, size)}, {graph} graph"
            rows.append(
                Comparison(
                    f"backward-{shape}-{graph}-{size}", BACKWARD, what, ours, hips, target, ops
                )
            )
    torch = _forward(V.parse("torch-backprop"), "PyTorch: torch.square x3, requires_grad, 1 thread")
    for graph in V.OURS:
        target = TARGETS[f"forward, {graph} graph"]
        ours = _forward(V.parse(f"{graph}-backprop"), f"{graph} graph: square x3, recorded")
        what = f"3 squares of a 0-d array, recorded, {graph} graph"
        rows.append(Comparison(f"forward-{graph}", FORWARD, what, ours, torch, target, DEPTH))
    n = sizes.loop_elements
    square = V.NUMPY.engine.square.__name__  # the ufunc the numpy loop calls
    numpy = _loop(V.NUMPY, n, f"numpy: np.{square} x3")
    for graph in V.OURS:
        ours = _loop(V.parse(f"{graph}-no_grad"), n, f"{graph} graph under no_grad: square x3")
        what = f"one classic-loop iteration, {n:,} elements, {graph} graph"
        target = TARGETS["no_grad"]
        rows.append(Comparison(f"no_grad-{graph}-{n}", NO_GRAD, what, ours, numpy, target, DEPTH))
    rows += _designs(sizes)
    for engine in user:
        rows += _theirs(engine, sizes, hips_engine, torch, numpy)
    return rows


def _designs(sizes):
    """Each design of the deep chain against its plain variant, both graphs: what freeing and
    checkpointing cost in time, as the trade-off chart states it."""
    rows, n, depth = [], sizes.loop_elements, sizes.deep_chain
    for graph in V.OURS:
        plain = V.parse(f"{graph}-backward")
        reference = _loop(plain, n, f"{graph} graph, deep chain: plain", W.DEEP_CHAIN, depth)
        for design in W.DEEP_CHAIN.designs:
            variant = V.parse(f"{graph}-backward-{design}")
            ours = _loop(variant, n, f"{graph} graph, deep chain: {design}", W.DEEP_CHAIN, depth)
            target = TARGETS["checkpoint" if variant.checkpoints else "free"]
            what = f"{depth} tanh ops, {n:,} elements, one backward, {graph} graph: {design}"
            rows.append(Comparison(f"{design}-{graph}-{depth}", DESIGNS, what, ours, reference,
                                   target, depth))  # fmt: skip
    return rows


def _theirs(engine, sizes, hips_engine, torch, numpy):
    """A user's engine against the references ours meets: backward through the middle chain
    of squares (the one op every engine declares), the recorded scalar forward and, for an
    engine of arrays, the no_grad loop. No target: the ratios say where it stands."""
    rows, size, n = [], sizes.chain_ops[len(sizes.chain_ops) // 2], sizes.loop_elements
    hips = _hips(hips_engine, "square", size)
    for v in V.of(engine, None):
        if v.mode == "backward":
            mine = _backward(f"{v.impl}-square-{size}", f"{v.impl}: backward", v, "square", size)
            what = f"{graphs.describe('square', size)}, {v.impl}"
            rows.append(Comparison(f"backward-square-{v.impl}-{size}", BACKWARD, what, mine, hips,
                                   None, size))  # fmt: skip
        elif v.mode == "backprop":
            mine = _forward(v, f"{v.impl}: square x3, recorded")
            what = f"3 squares of a single number, recorded, {v.impl}"
            rows.append(Comparison(f"forward-{v.impl}", FORWARD, what, mine, torch, None, DEPTH))
        elif v.mode == "no_grad" and engine.inputs == "arrays":
            mine = _loop(v, n, f"{v.impl} under no_grad: square x3")
            what = f"one classic-loop iteration, {n:,} elements, {v.impl}"
            rows.append(Comparison(f"no_grad-{v.impl}-{n}", NO_GRAD, what, mine, numpy, None,
                                   DEPTH))  # fmt: skip
    return rows


def _hips(engine, shape, size):
    """HIPS autograd's backward through graph `shape`: the reference of the backward table."""
    label = "HIPS autograd: vjp(ones_like(out)) after make_vjp"
    variant = V.Variant(engine, "", "backward")
    return _backward(f"autograd-{shape}-{size}", label, variant, shape, size, repeatable=True)


def _backward(key, label, variant, shape, size, repeatable=False):
    """Backward passes, each through a graph recorded before the clock starts.

    `repeatable`: the engine's backward leaves its recording as it was (HIPS autograd's vjp is a
    function of its trace), so where one call fills a block, every block backpropagates the
    one recording made for the first (a 100,000-op trace takes HIPS a second to record, ten
    times its backward). Blocks of several calls still take a graph each: one graph called
    again would stay in the cache, as several graphs do not."""
    engine = variant.engine
    kept = []

    def prepare(calls):
        if repeatable and calls == 1:
            if not kept:
                kept.append(graphs.recorded(engine, shape, size))
            outputs = kept
        else:
            outputs = [graphs.recorded(engine, shape, size) for _ in range(calls)]
        backward = engine.backward()

        def block():
            for y in outputs:
                backward(y)

        return block

    settings = functools.partial(engine.settings, variant.graph, "backward")
    family = key.removesuffix(f"-{size}")  # the same code at every size
    return Subject(key, label, prepare, _peer(variant), settings, kept.clear, family)


def _forward(variant, label):
    """The classic step on a 0-d array, made once: its wrapping (Variable, tensor) is timed."""
    built = functools.cache(lambda: classic.build(variant, DEPTH))  # a peer imports on first use
    x = variant.engine.scalar(graphs.SCALAR)

    def prepare(calls):
        step = built()[1]

        def block():
            for _ in range(calls):
                step(x)

        return block

    return Subject(variant.name, label, prepare, _peer(variant), lambda: built()[0]())


def _loop(variant, size, label, workload=W.CLASSIC, depth=DEPTH):
    """Iterations of a workload's loop (the classic one by default): y lives until the next
    iteration replaces it. A block of n calls frees n graphs, the one its first call replaces
    and those of all its calls but the last, whichever graph records them."""
    built = functools.cache(
        lambda: (workload.build(variant, depth), itertools.cycle(_inputs(size)))
    )
    # The weak graph frees a replaced graph at once, the strong graph only in a collection.
    # Left to the collector, that mostly comes after the clock stops (the next block's set-up
    # collects): the strong plain chain would be timed freeing nothing, while its designs free
    # as backward passes. So a block of a loop that records ends with a collection, timed.
    settle = gc.collect if variant.mode != "no_grad" else (lambda: None)

    def prepare(calls):
        (_, step), inputs = built()
        held = [step(next(inputs))]  # the steady state: a previous y is alive
        xs = list(itertools.islice(inputs, calls))

        def block():
            for x in xs:
                held[0] = step(x)
            settle()

        return block

    key = f"{variant.name}-{size}" + ("" if workload is W.CLASSIC else f"-{workload.name}")
    return Subject(key, label, prepare, _peer(variant), lambda: built()[0][0]())


# The classic loop's inputs, the same arrays for every subject that runs the loop. Where an
# array lies in memory changes how fast it is read: with a set each, strong-no_grad's and
# weak-no_grad's best rounds, the same code, were 2% apart in one process.
_inputs = functools.cache(classic.input_arrays)


def _peer(variant):
    return variant.engine.name if variant.is_peer else None


def absent(subject):
    """Why `subject` cannot run here (its peer not installed, or --no-peers), or None."""
    if subject.peer is None:
        return None
    return V.left_out(E.builtin()[subject.peer])


def measure(rows, plan=DEFAULT_PLAN, on_batch=None, timer=interleave.TIMER):
    """Every row's record (`ratio_files`), timing the rows that share a reference together;
    `on_batch(records)` after each reference's batch, e.g. to save and show progress."""
    batches, warmed = {}, set()
    for row in rows:
        batches.setdefault(row.reference.key, []).append(row)
    records = {}
    for batch in batches.values():
        reference = batch[0].reference
        why = absent(reference)
        timings = None
        if why is None:
            longer = LONGER_BLOCKS.get(batch[0].table, 1)
            batch_plan = replace(plan, block_s=plan.block_s * longer)
            ours = [r.ours for r in batch]
            timings = interleave.run(reference, ours, batch_plan, timer, warmed)
            for subject in (reference, *ours):
                subject.release()  # what its blocks shared: the next batch needs none of it
        done = [_record(row, why, timings) for row in batch]
        records.update((r["name"], r) for r in done)
        if on_batch is not None:
            on_batch(done)
    return [records[row.name] for row in rows]


def _record(row, absent_reason, timings):
    record = ratio_files.empty(
        row.name, row.table, row.what, row.ours.label, row.reference.label,
        row.reference.peer, row.ops, row.target,
    )  # fmt: skip
    if absent_reason is not None:
        return {**record, "status": "skipped", "reason": absent_reason}
    failed = [timings.failed.get(s.key) for s in (row.reference, row.ours)]
    if any(failed):
        who = "the reference" if failed[0] else "ours"
        return {**record, "status": "error", "reason": f"{who} failed: {failed[0] or failed[1]}"}
    ours, reference = timings.seconds[row.ours.key], timings.seconds[row.reference.key]
    return {
        **record,
        **interleave.summarize(ours, reference),
        "calls_per_block": timings.calls,
        "ours_s": ours,
        "reference_s": reference,
    }


def line(record):
    """One line of progress on a measured comparison."""
    if record["ratio"] is None:
        return f"{record['name']}: {record['status']} ({record['reason']})"
    target = record["target"]
    verdict = "meets" if ratio_files.meets_target(record) else "misses"
    aim = f"{verdict} target {target:g}x; " if target is not None else ""
    return (
        f"{record['name']}: {record['ratio']:.3f}x ({aim}"
        f"median {record['median_ratio']:.3f}x, rounds {record['round_ratio_min']:.3f}-"
        f"{record['round_ratio_max']:.3f}x, {record['rounds']} x {record['calls_per_block']} calls)"
    )


def run(out, plan=DEFAULT_PLAN, sizes=DEFAULT_SIZES, quick=False, stream=sys.stdout, user=()):
    """Measure the table into the ratios file `out`, rewritten after every batch (an
    interrupted run leaves what it measured, marked incomplete); the records."""
    from ..measure import matrix

    classic.settle_allocator()
    command = shlex.join(["python", "-m", "benchmarks.suite.ratios", *sys.argv[1:]])
    data = {
        "kind": ratio_files.KIND,
        "schema": ratio_files.SCHEMA,
        "complete": False,
        "environment": matrix.environment(command),
        "settings": {**plan.as_json(), "quick": quick, "timer": "time.process_time"},
        "comparisons": [],
    }

    def save(done):
        data["comparisons"] += done
        store.write_atomic(out, data)
        for record in done:
            print(f"ratios: {line(record)}", file=stream, flush=True)

    records = measure(comparisons(sizes, user), plan, on_batch=save)
    data.update(complete=True)
    data["environment"]["finished"] = matrix._now()
    store.write_atomic(out, data)
    return records


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.suite.ratios", description=__doc__)
    p.add_argument("--out", required=True, metavar="FILE", help="the ratios file to write")
    p.add_argument("--rounds", type=argtypes.rounds, help="at most this many rounds per reference")
    p.add_argument("--quick", action="store_true", help="tiny sizes and 2 rounds: for tests")
    p.add_argument("--engine", action="append", default=[], help="a user's engine too")
    args = p.parse_args(argv)
    user = [E.load(spec) for spec in args.engine]
    plan = QUICK_PLAN if args.quick else DEFAULT_PLAN
    if args.rounds:
        plan = replace(plan, max_rounds=args.rounds)
    sizes = QUICK if args.quick else DEFAULT_SIZES
    records = run(args.out, plan, sizes, quick=args.quick, user=user)
    return 1 if any(r["status"] == "error" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
