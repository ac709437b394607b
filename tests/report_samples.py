"""Synthetic results for the report tests (schema 1, or schema 2 with `explained=True`): shaped
like real runs (a strong graph's sawtooth freed by gen0 collections, flat weak and no_grad
curves), deterministic, never measured.

`python tests/report_samples.py DIR` writes two realistic results files into DIR/results, for a
look at the report: `benchmarks.report.render(reports_dir=DIR, repo_root=DIR)`.
"""

import copy
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.measure.runner import REPEATED
from benchmarks.measure.settings import Settings
from benchmarks.report import page
from benchmarks.report.section import Inputs
from benchmarks.sweep import schedule as engine
from benchmarks.workloads import variants as V

XSS = "<script>alert(1)</script>"
# name -> (import baseline MiB, loop plateau over it MiB, sawtooth height MiB or 0, s/iter)
SHAPES = {
    "numpy": (24.9, 3.1, 0, 0.0002),
    "strong-backprop": (25.2, 4.0, 293.0, 0.0016),
    "weak-backprop": (25.2, 13.4, 0, 0.0012),
    "strong-backward": (25.3, 5.0, 340.0, 0.0031),
    "weak-backward": (25.3, 14.1, 0, 0.0027),
    "strong-no_grad": (25.2, 10.7, 0, 0.0009),
    "weak-no_grad": (25.2, 10.7, 0, 0.0009),
    "torch-backprop": (243.0, 9.0, 0, 0.0007),
    "dezero-backprop": (94.0, 12.0, 0, 0.0015),
}
DEFAULT_STATUS = {
    "strong-backward": "exceeded_limit",
    "dezero-backprop": "error",
    "torch-backprop": "skipped",
}
GC_PERIOD = 100  # iterations between gen0 collections (700 tracked objects at ~7 per iteration)


def make_variant(name, status="ok", iters=200, size=100_000, depth=3, mem_limit_mib=340.0, seed=0):
    base, plateau, saw, spi = SHAPES.get(name, (30.0, 5.0, 0, 0.001))
    impl, _, mode = name.partition("-")
    floor_arrays = {"backprop": 2 * (depth + 1), "backward": 2 * (depth + 1) + 3}.get(mode, 4)
    variant = {
        "name": name,
        "impl": impl,
        "mode": mode or "no_grad",
        "status": status,
        "error": None,
        "iters": iters,
        "size": size,
        "depth": depth,
        "iters_done": iters,
        "baseline_rss_mib": base,
        "live_array_floor_mib": floor_arrays * size * 8 / 2**20,
        "extra": {"torch_threads": 1} if impl == "torch" else {},
    }
    if status == "skipped":
        variant.update(error=f"{impl} is not installed (pip install -e '.[peers]')", iters_done=0)
        return _blank(variant)
    if status == "error":
        variant["error"] = (
            "Traceback (most recent call last):\n"
            '  File "benchmarks/peers.py", line 12, in build\n'
            f"    import {impl}\n"
            f"AttributeError: module 'numpy' has no attribute 'int' {XSS}"
        )
        variant["iters_done"] = 0
        return _blank(variant)

    rng = np.random.default_rng(seed + sum(map(ord, name)))
    it = np.repeat(np.arange(iters), 3)  # three RSS samples per iteration
    grow = (it % GC_PERIOD + 1) / GC_PERIOD
    rss = base + plateau + saw * grow + rng.normal(0, 0.15, len(it))
    if status == "exceeded_limit":
        stop = int(np.argmax(rss > mem_limit_mib)) or len(it)
        it, rss = it[: stop + 1], rss[: stop + 1]
        variant.update(
            error=f"RSS reached {mem_limit_mib:.0f} MiB: stopped by --mem-limit",
            iters_done=int(it[-1]),
        )
    warmup = np.linspace(8.0, base, 40)
    t_loop = 0.15 + np.arange(len(it)) * spi / 3
    timeline = {
        "interval_s": 0.001,
        "t": [round(x, 5) for x in [*np.linspace(0, 0.15, 40, endpoint=False), *t_loop]],
        "rss_mib": [round(x, 3) for x in [*warmup, *rss]],
        "iter": [-1] * 40 + [int(i) for i in it],
    }
    events = [
        {
            "iter": i,
            "generation": 2 if i % (GC_PERIOD * 10) == 0 else (1 if i % 500 == 0 else 0),
            "collected": 40 * GC_PERIOD if saw else 0,
            "pause_s": 0.002 if saw else 0.0001,
        }
        for i in range(GC_PERIOD - 1, int(it[-1]) + 1, GC_PERIOD)
    ]
    counts = [sum(e["generation"] == g for e in events) for g in range(3)]
    peak = float(rss.max())
    done = status == "ok"
    variant.update(
        peak_rss_mib=round(peak, 3),
        peak_increment_mib=round(peak - base, 3),
        kernel_peak_rss_mib=round(peak + 0.4, 3),
        tracemalloc_peak_mib=round(plateau * 0.6 + saw * 0.99, 2) if done else None,
        seconds=round(spi * iters, 4) if done else None,
        seconds_per_iter=spi if done else None,
        gc={
            "enabled": True,
            "threshold": [700, 10, 10],
            "collections": counts,
            "collected": sum(e["collected"] for e in events),
            "pause_s": round(sum(e["pause_s"] for e in events), 5),
            "events": events,
        },
        timeline=timeline,
    )
    return variant


def explain(variant, threshold0=700):
    """`variant` (a make_variant dict) with the schema-2 figures: live bytes per iteration and
    per collection, a cycle census, the GC model's prediction and the peak's attribution."""
    if variant["status"] != "ok":
        return {**variant, "live": None, "explain": None, "model_peak_mib": None}
    saw = SHAPES.get(variant["name"], (0, 0, 0, 0))[2] > 0
    array_mib = variant["size"] * 8 / 2**20
    chain = (variant["depth"] + 1) * array_mib
    iters = variant["iters_done"]
    live = [
        round(chain * (1 + (i % GC_PERIOD if saw else 0)), 4) for i in range(iters)
    ]  # a sawtooth freed every GC_PERIOD iterations, or flat
    for e in variant["gc"]["events"]:
        before = chain * (GC_PERIOD + 1) if saw else chain
        e.update(live_before_mib=before, live_after_mib=chain, freed_mib=before - chain)
    garbage = {
        "list": 6.0,
        "Variable (autograd_core._core)": 4.0,
        "Square (autograd_core._ops)": 3.0,
    }
    census = {
        "iterations": 6,
        "tracked_left_per_iter": 13.0 if saw else 0.0,
        "gen0_count_per_iter": 13.0 if saw else 0.0,
        "gen0_counts": [20, 33, 46, 59, 72, 85, 98] if saw else [3, 3, 3, 3, 3, 3, 3],
        "garbage_per_iter": garbage if saw else {},
        "garbage_objects_per_iter": 13.0 if saw else 0.0,
        "arrays_per_iter": 4.0 if saw else 0.0,
        "array_bytes_per_iter": chain * 2**20 if saw else 0.0,
        "tuple_sizes": {},
        "free_lists": {"list": 80} if saw else {},
        "gen0_count_peak_in_iter": 18,
        "bytes_at_count": [0] * 18,
    }
    predicted = variant["tracemalloc_peak_mib"] * (1.04 if saw else 1.0)
    model = {
        "inputs": {"gen0_per_iter": census["gen0_count_per_iter"], "threshold0": threshold0},
        "gen0_collections": variant["gc"]["collections"][0],
        "gen1_collections": variant["gc"]["collections"][1],
        "collection_iters": [e["iter"] for e in variant["gc"]["events"]],
        "first_gap_iters": GC_PERIOD if saw else None,
        "mean_gap_iters": float(GC_PERIOD) if saw else None,
        "chains_promoted_per_collection": 1.6 if saw else None,
        "peak_mib": predicted,
    }
    lines = [
        {"file": "autograd_core/_ops.py", "line": 23, "function": "Square.forward",
         "mib": predicted * 0.74, "blocks": 508},
        {"file": "benchmarks/loop.py", "line": 124, "function": f"run {XSS}",
         "mib": predicted * 0.25, "blocks": 276},
    ]  # fmt: skip
    attribution = {"checkpoint": 600, "total_mib": predicted, "blocks": 2303, "lines": lines}
    return {
        **variant,
        "live": {
            "iter_mib": live,
            "gen0_count": [13 * (i % GC_PERIOD) if saw else 3 for i in range(iters)],
            "most_alive": {
                "checkpoint": 600,
                "kind": "collection start",
                "iter": iters - 1,
                "mib": max(live),
            },
            "collections": None,
        },
        "explain": {"attribution": attribution, "census": census, "model": model},
        "model_peak_mib": predicted,
    }


def _blank(variant):
    # The figures the engine leaves null when a variant did not complete a pass.
    for key in REPEATED:
        variant[key] = None
    variant.update(gc=None, timeline=None)
    return variant


def make_results(
    names=tuple(SHAPES), status=None, iters=200, started="2026-11-23T12:00:00Z", explained=False
):
    """A schema-1 results dict, or with `explained` a schema-2 one; `status` maps names to a
    status other than ok (default: one exceeded_limit, one error whose text holds a <script>
    tag, one skipped)."""
    status = DEFAULT_STATUS if status is None else status
    variants = [make_variant(n, status.get(n, "ok"), iters=iters) for n in names]
    for v in variants:
        if v.get("timeline") and explained:
            v["timeline"]["start_unix"] = 1795000000.0  # schema 2: the child's start
    return {
        "schema": 2 if explained else 1,
        "environment": {
            "python": "3.11.7",
            "python_implementation": "CPython",
            "packages": {"numpy": "2.4.6", "psutil": "7.2.2", "torch": None, "dezero": "0.0.13"},
            "gc_thresholds": [700, 10, 10],
            "os": "Linux-6.1.0-x86_64-with-glibc2.36",
            "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz",
            "cores": 2,
            "ram_mib": 24000.0,
            "git_commit": "584b31e",
            "command": "python -m benchmarks run",
            "started": started,
            "finished": started.replace("12:00:00", "12:01:10"),
        },
        "settings": {
            "iters": iters,
            "size": 100_000,
            "depth": 3,
            "repeat": 1,
            "seed": 0,
            "interval_s": 0.001,
            "gc_enabled": True,
            "gc_threshold": None,
            "mem_limit_mib": 340.0,
            "retain_grad": False,
        },
        "variants": [explain(v) for v in variants] if explained else variants,
    }


def peak_stacks(total_bytes):
    """A small made-up summary of the stacks alive at a native peak, shaped as
    benchmarks/measure/peak_stacks.py makes it (tests/test_native.py): a frame name holds markup."""
    frames = [
        {"function": "run", "file": "benchmarks/loop.py", "line": 124, "kind": "project"},
        {
            "function": "Square.forward",
            "file": "autograd_core/_ops.py",
            "line": 23,
            "kind": "project",
        },
        {"function": "PyArray_NewFromDescr", "file": None, "line": None, "kind": "native"},
        {"function": f"other {XSS}", "file": None, "line": None, "kind": "other"},
    ]
    most = int(total_bytes * 0.74)
    stacks = [
        {"frames": [0, 1, 2], "bytes": most, "allocations": 508},
        {"frames": [0, 3], "bytes": total_bytes - most, "allocations": 40},
    ]
    return {"bytes": total_bytes, "allocations": 548, "min_share": 0.005, "frames": frames,
            "stacks": stacks}  # fmt: skip


def inputs(reports, data, name="20261123T120000Z.json"):
    """What the report's sections read when `data`, saved as the results file `name` in
    `reports`, is all there is to show."""
    path = write(reports / "results" / name, data)
    return Inputs(path, data, [(path, data)], "own", reports, reports.parent, [], None, None)


def section_page(reports, data, *modules):
    """The page with only the sections of `modules` (benchmarks/report/sections/), built from
    `data`: a section's HTML without drawing every other section's plots. No file is written
    but the results file."""
    given = inputs(reports, data)
    return page.render(given, [module.build(given) for module in modules], [])


def with_native(results, why=None, stacks=(V.HEADLINE[0],)):
    """A copy of `results` as a run with the native pass records it: with `why`, a run where it
    did not run (every native peak null); else each completed variant's native peak (its traced
    peak, or for an engine tracemalloc does not see, 16x it), with the stacks of `stacks`."""
    results = copy.deepcopy(results)
    results["environment"]["native"] = {"enabled": why is None, "why": why}
    for v in results["variants"]:
        traced = v.get("tracemalloc_peak_mib")
        if why is not None or v["status"] != "ok" or traced is None:
            v.update(native_peak_mib=None, native=None)
            continue
        known = V.ANY_WORKLOAD.get(v["name"])
        peak = traced * (1 if known is None or known.engine.traced else 16)
        v["native_peak_mib"] = round(peak, 2)
        v["native"] = {
            "capture_file": f"{v['name']}.bin",
            "allocations": 9000,
            "memray": "1.20.0",
            "peak_stacks": peak_stacks(round(peak * 2**20)) if v["name"] in stacks else None,
        }
    return results


def with_user_engine(results, name="mine", source="my_engine.py", failed=None):
    """A copy of `results` that measured a user's engine `name` from `source` (its backprop
    variant, shaped as our weak graph's), and with `failed` ({spec: why}) engines that did not
    load."""
    results = copy.deepcopy(results)
    record = copy.deepcopy(next(v for v in results["variants"] if v["name"] == V.HEADLINE[1]))
    record.update(name=f"{name}-backprop", impl=name, engine=name)
    results["variants"].append(record)
    results["engines"] = {"user": {name: source}, "failed": failed or {}}
    return results


def scaled(results, factor, names=None):
    """A copy of `results` with the peaks of `names` (all by default) multiplied by `factor`."""
    results = copy.deepcopy(results)
    for v in results["variants"]:
        if names is None or v["name"] in names:
            for key in ("peak_rss_mib", "kernel_peak_rss_mib", "tracemalloc_peak_mib"):
                if v.get(key) is not None:
                    v[key] = round(v[key] * factor, 3)
    return results


def write(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, allow_nan=False), encoding="utf-8")
    return path


def benchmark_json(benchmarks, when="2026-11-23T12:00:00+00:00"):
    """pytest-benchmark JSON holding `benchmarks`: (name, group, median s, extra_info) each."""
    return {
        "machine_info": {"python_version": "3.11.7"},
        "commit_info": {"id": "584b31e", "dirty": False},
        "datetime": when,
        "version": "5.3.1",
        "benchmarks": [
            {
                "group": group,
                "name": name,
                "fullname": f"benchmarks/bench_loop.py::{name}",
                "param": None,
                "extra_info": extra,
                "stats": {
                    "min": median * 0.9,
                    "median": median,
                    "mean": median * 1.1,
                    "stddev": median / 10,
                    "rounds": 20,
                },
            }
            for name, group, median, extra in benchmarks
        ],
    }


def ratio_record(
    name, ratio, target=0.9, status=None, reason=None, table="backward vs HIPS autograd"
):
    """One comparison of a ratios file: `ratio` (None: absent with `reason`) over 3 rounds."""
    record = {
        "name": name,
        "table": table,
        "what": f"chain of 1,000 negations ({name})",
        "ours": "weak graph: y.backward()",
        "reference": "HIPS autograd: vjp(ones_like(out)) after make_vjp",
        "peer": "autograd",
        "ops": 1000,
        "target": target,
        "status": status or ("ok" if ratio is not None else "skipped"),
        "reason": reason,
        "ratio": ratio,
        "median_ratio": None,
        "round_ratio_min": None,
        "round_ratio_max": None,
        "ours_best_s": None,
        "reference_best_s": None,
        "rounds": None,
        "calls_per_block": None,
        "ours_s": [],
        "reference_s": [],
    }
    if ratio is not None:
        reference = [1e-3, 1.1e-3, 1.2e-3]
        ours = [ratio * 1e-3, ratio * 1.2e-3, ratio * 1.1e-3]
        record.update(
            median_ratio=ratio,
            round_ratio_min=ratio * 1.0,
            round_ratio_max=ratio * 1.2 / 1.1,
            ours_best_s=ours[0],
            reference_best_s=reference[0],
            rounds=3,
            calls_per_block=10,
            ours_s=ours,
            reference_s=reference,
        )
    return record


def ratios_json(*records, quick=False, complete=True, started="2026-11-23T12:00:00Z"):
    """A ratios file (reports/README.md) holding `records`."""
    return {
        "kind": "ratios",
        "schema": 1,
        "complete": complete,
        "environment": {"python": "3.11.7", "cpu": "Intel(R) Xeon(R) CPU", "started": started},
        "settings": {"max_rounds": 7, "min_rounds": 3, "block_s": 0.01, "quick": quick},
        "comparisons": list(records),
    }


THRESHOLDS = [100, 200, 400, 800]


def synthetic_sweep(broken=None):
    """gc_threshold x {strong, weak}-backprop: the strong graph's traced peak 0.05 MiB per unit of
    threshold0 (a slope of exactly 1), the weak graph's flat at its floor."""
    axes = [{"name": "gc_threshold", "values": list(THRESHOLDS)}]
    chosen = [V.parse("strong-backprop"), V.parse("weak-backprop")]
    data = engine.start(
        axes, chosen, Settings(iters=200, mem_limit_mib=1000), ("untraced", "traced"), "test"
    )
    for t in THRESHOLDS:
        for v in chosen:
            record = make_variant(v.name)
            record["tracemalloc_peak_mib"] = 0.05 * t if v.impl == "strong" else 6.11
            record["kernel_peak_rss_mib"] = 30 + record["tracemalloc_peak_mib"]
            if (t, v.name) == broken:
                record.update(status="error", error=f"traced pass: {XSS}")
            how = {"side_by_side": 1, "worker": "local"}
            point = {"params": {"gc_threshold": t}, "variant": v.name, "record": record}
            data["points"].append({**point, "passes": {"untraced": how, "traced": how}})
    data["complete"] = True
    return data


if __name__ == "__main__":
    if len(sys.argv) != 2:  # never a default: fake results in the real reports/ would mislead
        sys.exit("usage: python tests/report_samples.py DIR  (writes DIR/results/*.json)")
    out = Path(sys.argv[1]) / "results"
    realistic = make_results(iters=1000, explained=True)
    write(out / "20261122T120000Z.json", scaled(realistic, 0.85, {"weak-backward"}))
    print(write(out / "20261123T120000Z.json", realistic))
