"""The figures the README and docs/ quote, written from the reference run's files
(docs/reference/) into the text, so the text cannot drift from the data.

A quoted figure carries its key in an HTML comment that Markdown does not show:
`<!--f:classic.VARIANT.traced-->1.23 MiB<!--/f-->`; a table is a block,
`<!--table:classic-->` ... `<!--/table-->`. `python -m benchmarks docs` rewrites every figure and
table from the reference files; `python -m benchmarks docs --run` takes a new reference run
first. tests/test_docs.py fails when the text and the files disagree, or when a measured-looking
figure stands in the text without a key.
"""

import re
from pathlib import Path

from .. import figures as F
from ..errors import HarnessError
from ..files import ratios as ratio_files
from ..files import results, store
from ..sweep import files as sweep_files
from ..workloads import variants as V
from . import pytest_bench

FIGURE = re.compile(r"<!--f:([\w.:+-]+)-->(.*?)<!--/f-->", re.S)
TABLE = re.compile(r"(<!--table:([\w.:+-]+)-->\n)(.*?)(<!--/table-->)", re.S)
# A number with a unit of what the project measures: it must carry a key wherever it is quoted.
QUOTED = re.compile(
    r"(?<![\w.#/-])[0-9][0-9,]*(\.[0-9]+)?"  # a number
    r"(\s?(MiB|KiB|MB|GiB|ms|µs|s)|x|×)(?![\w])"  # a unit; a ratio's x follows without a space
)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)

# The reference run's files, in docs/reference/.
CLASSIC, DEEP, RATIOS, SWEEP, SUITE, TIMES = (
    "classic.json", "deep-chain.json", "ratios.json", "sweep.json", "suite.json", "times.json",
)  # fmt: skip
# A figure's short name in a key, and its definition.
KEYED = {
    "traced": F.TRACED_PEAK,
    "native": F.NATIVE_PEAK,
    "kernel": F.KERNEL_PEAK,
    "model": F.MODEL_PEAK,
    "floor": F.FLOOR,
    "per_iter": F.PER_ITER,
    "input": F.INPUT_DRAW,
}
MIB = 2**20


class UnknownKey(KeyError):
    """A key in the text that the reference run does not give."""


def refresh(text, figures, tables):
    """`text` with every keyed figure and table written anew from `figures` ({key: text}) and
    `tables` ({key: markdown}); UnknownKey names a key they lack."""

    def figure(m):
        key = m.group(1)
        if key not in figures:
            raise UnknownKey(f"figure {key!r} is not one the reference run gives")
        return f"<!--f:{key}-->{figures[key]}<!--/f-->"

    def table(m):
        key = m.group(2)
        if key not in tables:
            raise UnknownKey(f"table {key!r} is not one the reference run gives")
        return f"{m.group(1)}{tables[key].rstrip()}\n{m.group(4)}"

    return FIGURE.sub(figure, TABLE.sub(table, text))


def unkeyed(text):
    """The measured-looking figures in `text` that carry no key: numbers with a unit outside the
    keyed figures, the tables and code."""
    bare = CODE.sub("", TABLE.sub("", FIGURE.sub("", text)))
    return [m.group(0) for m in QUOTED.finditer(bare)]


def documents(root):
    """The files whose figures come from the reference run: the README and docs/."""
    root = Path(root)
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


# --- what the reference run gives -------------------------------------------------------------


def load(folder):
    """The reference run's files in `folder`, each read by its own loader."""
    folder = Path(folder)
    return {
        CLASSIC: results.load(folder / CLASSIC),
        DEEP: results.load(folder / DEEP),
        RATIOS: ratio_files.load(folder / RATIOS),
        SWEEP: sweep_files.load(folder / SWEEP),
        SUITE: pytest_bench.load(folder / SUITE),
        TIMES: store.read_json(folder / TIMES, HarnessError, "reference times"),
    }


def _ratio(value):
    return f"{value:.2f}x"


def _seconds(value):
    return "n/a" if value is None else f"{value:.0f} s"


def _variant_figures(prefix, data):
    figures = {}
    for v in data["variants"]:
        key = f"{prefix}.{v['name']}"
        for short, figure in KEYED.items():
            if v.get(figure.name) is not None:
                figures[f"{key}.{short}"] = F.text(figure, v[figure.name])
        # The GC model's iterations between two collections, and the deep chain's split of an
        # iteration's time between forward and backward.
        gap = ((v.get("explain") or {}).get("model") or {}).get("mean_gap_iters")
        if gap is not None:
            figures[f"{key}.gap"] = f"{gap:.0f}"
        for part in ("forward", "backward"):
            seconds = (v.get("extra") or {}).get(f"{part}_s")
            if seconds is not None:
                figures[f"{key}.{part}"] = F.text(F.PER_ITER, seconds)
    return figures


def _plain(record):
    """The name of a design's plain variant (the record's own name for a plain one)."""
    design = record.get("design") or ""
    name = record["name"]
    return name[: -len(design) - 1] if design and name.endswith("-" + design) else name


def facts(files):
    """{key: text} of every figure the docs may quote."""
    classic, deep, ratios = files[CLASSIC], files[DEEP], files[RATIOS]
    figures = {**_variant_figures("classic", classic), **_variant_figures("deep", deep)}
    by_name = {v["name"]: v for v in classic["variants"]}
    peak = F.TRACED_PEAK.name
    strong, weak = V.HEADLINE
    figures["classic.ratio"] = _ratio(by_name[strong][peak] / by_name[weak][peak])
    size = classic["settings"]["size"]
    figures["classic.array"] = F.text(F.TRACED_PEAK, size * 8 / MIB)
    deep_by_name = {v["name"]: v for v in deep["variants"]}
    for name, v in deep_by_name.items():
        plain = deep_by_name.get(_plain(v))
        if plain and v.get(peak) is not None and plain.get(peak):
            figures[f"deep.{name}.share"] = f"{100 * v[peak] / plain[peak]:.1f}%"
    for record in ratios["comparisons"]:
        key = f"ratio.{record['name']}"
        if record.get("ratio") is not None:
            figures[key] = _ratio(record["ratio"])
        if record.get("round_ratio_min") is not None and record.get("round_ratio_max") is not None:
            low, high = record["round_ratio_min"], record["round_ratio_max"]
            figures[f"{key}.rounds"] = f"{_ratio(low)} to {_ratio(high)}"
        if record.get("ours_best_s") is not None and record.get("reference_best_s") is not None:
            # What ours adds to the reference's time, per call, best round against best round.
            ours, theirs = record["ours_best_s"], record["reference_best_s"]
            figures[f"{key}.added"] = F.text(F.PER_ITER, ours - theirs)
            figures[f"{key}.reference"] = F.text(F.PER_ITER, theirs)
        if record.get("target") is not None:
            figures[f"target.{record['name']}"] = f"{record['target']:g}x"
    for point in files[SWEEP]["points"]:
        value = (point.get("record") or {}).get(peak)
        threshold = point["params"].get("gc_threshold")
        if value is not None and threshold is not None:
            figures[f"sweep.{point['variant']}.{threshold}"] = F.text(F.TRACED_PEAK, value)
    for row in files[SUITE].rows:
        # test_scalar_forward_backward[VARIANT]:
        # suite.scalar-forward-backward.VARIANT
        key = f"suite.{row.group}.{row.name.partition('[')[2].rstrip(']')}"
        figures[f"{key}.median"] = F.text(F.PER_ITER, row.median)
        peak = row.extra.get(F.TRACED_PEAK.name)
        if peak is not None:
            figures[f"{key}.traced"] = f"{peak * MIB / 1024:.1f} KiB"
    env = classic["environment"]
    packages = env.get("packages") or {}
    figures.update(
        {
            "env.python": env["python"],
            "env.numpy": str(packages.get("numpy")),
            "env.torch": str(packages.get("torch")),
            "env.cpu": str(env.get("cpu")),
            "env.cores": str(env.get("cores")),
            "env.date": str(env.get("started"))[:10],
        }
    )
    for job, measured in files[TIMES].items():
        if job == "tests":
            figures["tests.wall"] = _seconds(measured["wall_s"])
            continue
        figures[f"{job}.wall"] = _seconds(measured["wall_s"])
        for step, seconds in measured["steps"].items():
            figures[f"{job}.{step.replace(' ', '-')}"] = _seconds(seconds)
    return figures


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(v, figure):
    return F.text(figure, v.get(figure.name)) if v.get("status") == "ok" else v.get("status", "")


def _matrix_table(data):
    figures = (F.TRACED_PEAK, F.NATIVE_PEAK, F.MODEL_PEAK, F.KERNEL_PEAK, F.PER_ITER)
    header = ["variant", *(f.title for f in figures)]
    rows = [[f"`{v['name']}`", *(_cell(v, f) for f in figures)] for v in data["variants"]]
    return _table(header, rows)


def tables(files):
    """{key: markdown} of every table the docs may hold."""
    times = files[TIMES]
    jobs = [job for job in times if job != "tests"]
    steps = list(dict.fromkeys(step for job in jobs for step in times[job]["steps"]))
    job_rows = [
        [step, *(_seconds(times[job]["steps"][step]) if step in times[job]["steps"] else "-"
                 for job in jobs)]
        for step in steps
    ]  # fmt: skip
    job_rows.append(["**whole job**", *(_seconds(times[job]["wall_s"]) for job in jobs)])
    ratio_rows = [
        [f"`{r['name']}`", r.get("table", ""), _ratio(r["ratio"]) if r.get("ratio") else "-",
         f"{r['target']:g}x" if r.get("target") is not None else "-"]
        for r in files[RATIOS]["comparisons"]
    ]  # fmt: skip
    return {
        "classic": _matrix_table(files[CLASSIC]),
        "deep-chain": _matrix_table(files[DEEP]),
        "job": _table(["step", *(JOB_TITLES.get(job, job) for job in jobs)], job_rows),
        "ratios": _table(["comparison", "table", "ratio (best of rounds)", "target"], ratio_rows),
    }


JOB_TITLES = {"job": "with the peers", "job-no-peers": "without the peers"}


def stale(root, files):
    """[(document, problem)]: a keyed figure or table that the reference files say otherwise, a
    key they do not give, a figure without a key."""
    figures, made = facts(files), tables(files)
    problems = []
    for path in documents(root):
        text = path.read_text(encoding="utf-8")
        try:
            if refresh(text, figures, made) != text:
                problems.append((path.name, "figures differ from docs/reference/"))
        except UnknownKey as e:
            problems.append((path.name, str(e)))
        problems += [(path.name, f"figure without a key: {bare!r}") for bare in unkeyed(text)]
    return problems


def rewrite(root, files):
    """Every document under `root` with its figures and tables written from `files`; the paths
    that changed."""
    figures, made = facts(files), tables(files)
    changed = []
    for path in documents(root):
        text = path.read_text(encoding="utf-8")
        new = refresh(text, figures, made)
        if new != text:
            store.write_bytes_atomic(path, new.encode("utf-8"))
            changed.append(path)
    return changed
