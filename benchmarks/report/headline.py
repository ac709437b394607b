"""The first screen's sentences that do not explain: how much more the strong graph holds (the
peak RSS ratio of V.HEADLINE's pair, beside the published reference), and which file, measured
with which interpreter and numpy, the report shows and why that one."""

from markupsafe import Markup

from .. import figures as F
from ..files import environments
from ..files import results as results_files
from ..workloads import variants as V
from .page import mib

# Published by a reader of the book: mprof peaks on macOS, 2022 (see the measurement notes).
REFERENCE = {"strong_mib": 539.438, "weak_mib": 75.484, "ratio": 7.15, "how": "mprof on macOS"}
PEAK = F.PEAK_RSS.name


def pair(results):
    """The records of V.HEADLINE's strong and weak variant ({} where the file has none)."""
    variants = results_files.by_name(results)
    return tuple(variants.get(name) or {} for name in V.HEADLINE)


def reference():
    return Markup(
        "The published reference measured <b>{ratio:.2f}×</b> ({strong} MiB vs {weak} MiB, {how})."
    ).format(
        ratio=REFERENCE["ratio"],
        strong=REFERENCE["strong_mib"],
        weak=REFERENCE["weak_mib"],
        how=REFERENCE["how"],
    )


def lead(results):
    """The strong/weak peak ratio in one sentence, naming the interpreter that measured it."""
    strong, weak = pair(results)
    names = " vs ".join(V.HEADLINE)
    if strong.get("status") == "exceeded_limit" and weak.get(PEAK):
        limit = (results.get("settings") or {}).get("mem_limit_mib")
        return Markup(
            "Recording the graph with strong references <b>ran out of memory</b>: it was stopped at"
            " the {limit} MiB limit after {done} of {iters} iterations, while weak references"
            " peaked at <b>{weak} MiB</b> ({names})."
        ).format(
            limit=mib(limit, 0),
            done=strong.get("iters_done", "?"),
            iters=strong.get("iters", "?"),
            weak=mib(weak[PEAK]),
            names=names,
        )
    missing = [
        f"{name} {_absent_reason(v)}"
        for name, v in zip(V.HEADLINE, (strong, weak), strict=True)
        if v.get("status") != "ok" or not v.get(PEAK)
    ]
    if missing:
        return Markup("This run has no strong/weak ratio: {why}.").format(why=" and ".join(missing))
    s, w = strong[PEAK], weak[PEAK]
    return Markup(
        "Recording the graph with strong references took <b>{ratio:.2f}×</b> the memory of"
        " recording it with weak references: <b>{s} MiB</b> vs <b>{w} MiB</b> {title}"
        " ({names}, <b>{where}</b>)."
    ).format(
        ratio=s / w,
        s=mib(s),
        w=mib(w),
        title=F.PEAK_RSS.title,
        names=names,
        where=environments.interpreter(environments.of(results, strong)),
    )


def _absent_reason(variant):
    reasons = {
        "error": "failed",
        "skipped": "was skipped",
        "exceeded_limit": "was stopped at the memory limit",
    }
    if not variant:
        return "was not measured"
    return reasons.get(variant.get("status"), "has no peak figure")


_NOT_MEASURED = {"skipped": "skipped", "error": "failed", "exceeded_limit": "stopped at the limit"}


def shown_from(path, results, pool, lead):
    """What the report shows: the file, the interpreter and numpy that measured it, how many of
    its variants have figures, and, when files are pooled, why this one leads and where the
    others are."""
    variants = results.get("variants") or []
    statuses = [v.get("status") for v in variants]
    measured = f"{statuses.count('ok')} of its {len(variants)} variants measured"
    for status, word in _NOT_MEASURED.items():
        left = [v for v in variants if v.get("status") == status]
        if left:
            impls = dict.fromkeys(str(v.get("impl") or v["name"]) for v in left)
            # The skipped engines are named once, in the line that says why.
            measured += f", {len(left)} {word}" + (
                "" if status == "skipped" else f" ({', '.join(impls)})"
            )
    identity = environments.of(results)
    said = Markup(
        "This report shows <b>{file}</b>, measured with <b>{where}</b>: {measured}."
    ).format(file=path.name, where=environments.interpreter(identity), measured=measured)
    others = [(p, d) for p, d in pool if p != path]
    if not others:
        if environments.is_own(identity):
            return said
        return said + Markup(
            " It is the newest results file; the interpreter running this report is {own}"
            " (<code>report --results FILE</code> shows another file)."
        ).format(own=environments.interpreter(environments.own()))
    labels = dict.fromkeys(environments.label(environments.of(d)) for _, d in others)
    why = (
        "it was measured with the interpreter running this report"
        if lead == "own"
        else "it is the newest, and none was measured with the interpreter running this report"
    )
    one = len(others) == 1
    return said + Markup(
        " It leads the {n} pooled results files because {why}; {others} ({labels}) {verb} in"
        ' <a href="#across">Across environments</a>.'
    ).format(
        n=len(pool),
        why=why,
        others="the other file" if one else f"the other {len(others)} files",
        labels="; ".join(labels),
        verb="is" if one else "are",
    )


def increments(results):
    """The loop's own memory, above the import baseline, for the same pair."""
    strong, weak = pair(results)
    s, w = strong.get(F.INCREMENT.name), weak.get(F.INCREMENT.name)
    if s is None or w is None or strong.get("status") != "ok" or weak.get("status") != "ok":
        return None
    ratio = f" ({s / w:.1f}×)" if w > 0 else ""
    return Markup(
        "Peak RSS counts everything the process holds, imports included; the loop alone added"
        " <b>+{s} MiB</b> vs <b>+{w} MiB</b>{ratio} over the RSS after imports."
    ).format(s=mib(s), w=mib(w), ratio=ratio)
