""" "Why the peak": live memory under RSS per variant, the cycle census, the GC model beside the
measurement, the peak's attribution with a flame graph of the native peak beside it, and what a
0.1 s sampler would have seen; each variant's timeline in mprof's format into reports/mprof/."""

from ... import figures as F
from ...files import folders, mprof
from ...workloads import variants as V
from .. import live_plots, native, why
from ..page import percent
from ..section import Section

PLOT = "why_the_peak.png"


def build(inputs):
    data, reports_dir = inputs.data, inputs.reports_dir
    png = live_plots.why_the_peak(data)
    flames, problems = native.flame_graphs(data)
    files = {PLOT: png}
    for stale in reports_dir.glob("flamegraph_*.svg"):
        files[stale.name] = None  # the stacks of another run would mislead
    files.update({name: svg for name, svg in flames.values()})
    samplers = why.sampler_rows(data)
    files.update(_timelines(inputs, samplers))
    attribution = why.attribution_rows(data)
    for row in attribution:
        row["flame"] = flames.get(row["name"], (None,))[0]
    with_rows = {row["name"] for row in attribution}
    values = {
        "plot": png and {"png": png, "narrow": live_plots.why_the_peak(data, narrow=True)},
        "plot_file": PLOT,
        "census": why.census_rows(data),
        "model": why.model_rows(data),
        "attribution": attribution,
        "flames": [(n, f) for n, (f, _) in flames.items() if n not in with_rows],
        "flame_problems": problems,
        "samplers": samplers,
        "sentences": why.sentences(data),
        "mprof_dir": folders.mprof_dir(reports_dir),
        "schema": data.get("schema"),
        "interval_s": (data.get("settings") or {}).get("interval_s"),
        "native_peak": F.NATIVE_PEAK.title,
        "traced": F.TRACED_PEAK,
        "kernel": F.KERNEL_PEAK,
    }
    return Section("why", "Why the peak", _summary(values, flames), values, files)


def _timelines(inputs, samplers):
    """Each sampled variant's timeline as an mprof .dat file, replacing an earlier render's."""
    folder = folders.mprof_dir(inputs.reports_dir)
    subdir = folder.relative_to(inputs.reports_dir)
    files = {str(subdir / stale.name): None for stale in folder.glob("mprofile_*.dat")}
    sampled = {r["name"] for r in samplers}
    for v in inputs.data.get("variants", []):
        if v["name"] in sampled:
            line = v.get("timeline") or {}
            command = f"benchmarks/loop.py --impl {v.get('impl')} --mode {v.get('mode')}"
            text = mprof.dat_text(
                f"{command} (untraced pass of {inputs.path.name})",
                line["t"],
                line["rss_mib"],
                line.get("start_unix") or 0.0,
            )
            files[str(subdir / mprof.dat_name(v["name"]))] = text.encode(
                "utf-8", "backslashreplace"
            )
    return files


def _summary(values, flames):
    if not (values["census"] or values["model"] or values["plot"]):
        return f"No explanation in this file (schema {values['schema']})."
    strong = V.HEADLINE[0]
    said = []
    model = [r for r in values["model"] if r["error_pct"] is not None]
    model = next((r for r in model if r["name"] == strong), model[0] if model else None)
    if model:
        said.append(f"The GC model predicts {model['name']}'s {F.TRACED_PEAK.title} to"
                    f" {percent(model['error_pct'])}")  # fmt: skip
    top = [r for r in values["attribution"] if r["lines"] and r["total_mib"]]
    top = next((r for r in top if r["name"] == strong), top[0] if top else None)
    if top:
        line = top["lines"][0]
        share = (line.get("mib") or 0) / top["total_mib"]
        said.append(f"{share:.0%} of the memory alive at {top['name']}'s peak was allocated in"
                    f" {line.get('function')}")  # fmt: skip
    if flames:
        said.append(f"flame graphs of the {F.NATIVE_PEAK.title}: {', '.join(flames)}")
    text = "; ".join(said) or "Live memory against RSS, per variant"
    return text[:1].upper() + text[1:] + "."
