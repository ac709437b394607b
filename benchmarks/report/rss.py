"""A variant's RSS over its loop, read from the untraced pass's timeline: where it rises, where
and whether it falls (and with which collection), its peak and where the loop ends; and the
sentences the report writes from it, so no sentence says more than the curve shows."""

from dataclasses import dataclass

from .. import figures as F


@dataclass(frozen=True)
class Fall:
    """A drop of a variant's RSS, from the top it had reached to the lowest it fell to."""

    top_iter: int
    top_mib: float
    low_iter: int
    low_mib: float
    collection: int | None  # the iteration of the collection it came with, if one did


@dataclass(frozen=True)
class RssCourse:
    """How a variant's sampled RSS went during its loop (the untraced pass's timeline)."""

    baseline_mib: float
    peak_mib: float
    peak_iter: int
    end_iter: int  # the last sampled iteration of the loop
    end_mib: float
    falls: list
    collections: list  # iterations of the loop's collections

    @property
    def rise_until(self):
        """(iteration, MiB) of the top reached before the first fall, or of the peak."""
        if self.falls:
            return self.falls[0].top_iter, self.falls[0].top_mib
        return self.peak_iter, self.peak_mib


def course_of(variant):
    """The RssCourse of `variant`'s loop, or None without a timeline that covers it.

    A fall is a drop of at least a tenth of the loop's rise over the RSS after imports (and
    at least 1 MiB) before the curve rises again by as much: smaller dips are sampling noise.
    """
    line, iters = variant.get("timeline") or {}, variant.get("iters_done")
    base = variant.get(F.BASELINE.name)
    if not isinstance(iters, int) or base is None:
        return None
    loop = [
        (i, r)
        for i, r in zip(line.get("iter") or [], line.get("rss_mib") or [], strict=False)
        if isinstance(i, int) and 0 <= i < iters and isinstance(r, int | float)
    ]
    if not loop:
        return None
    peak_iter, peak = max(loop, key=lambda s: s[1])
    step = max(1.0, 0.1 * (peak - base))
    at = sorted(e["iter"] for e in (variant.get("gc") or {}).get("events") or [])
    falls, top, low = [], loop[0], None
    for sample in loop:
        if low is None:
            if sample[1] >= top[1]:
                top = sample
            elif sample[1] <= top[1] - step:
                low = sample
        elif sample[1] < low[1]:
            low = sample
        elif sample[1] >= low[1] + step:
            falls.append(_fall(top, low, at))
            top, low = sample, None
    if low is not None:
        falls.append(_fall(top, low, at))
    return RssCourse(base, peak, peak_iter, *loop[-1], falls, at)


def _fall(top, low, collections):
    # The RSS falls within the collection's iteration or in the next samples.
    came_with = [c for c in collections if top[0] <= c <= low[0]]
    return Fall(top[0], top[1], low[0], low[1], came_with[0] if came_with else None)


def sentence(name, course):
    """What `name`'s RSS did during the loop, in words, from its RssCourse alone."""
    start = f"{name}'s RSS (untraced pass) rises from {course.baseline_mib:.1f} MiB after imports"
    until, top = course.rise_until
    if not course.falls:
        return (
            f"{start} to {course.peak_mib:.1f} MiB by iteration {course.peak_iter} and never "
            f"falls: it ends the loop at {course.end_mib:.1f} MiB."
        )
    first, more = course.falls[0], course.falls[1:]
    when = (
        f"at the collection in iteration {first.collection}"
        if first.collection is not None
        else f"by iteration {first.low_iter}"
    )
    said = f"{start} to {top:.1f} MiB by iteration {until}, falls to {first.low_mib:.1f} MiB {when}"
    if not more:
        later = [c for c in course.collections if c > first.low_iter]
        again = f" (at none of the {len(later)} collections after it)" if later else ""
        said += f", and never falls again{again}"
    else:
        lows = [f.low_mib for f in more]
        with_collections = sum(f.collection is not None for f in more)
        said += (
            f", and falls {len(more)} more times ({with_collections} of them at a collection), "
            f"each time to {min(lows):.1f}-{max(lows):.1f} MiB"
        )
    return (
        f"{said}; it peaks at {course.peak_mib:.1f} MiB at iteration {course.peak_iter} and ends "
        f"the loop at {course.end_mib:.1f} MiB."
    )


def reason(course, array_mib, glibc):
    """Why the RSS fell where it fell, for a loop whose live memory falls at each collection
    (the strong graph's): one sentence, or None when the course says nothing to explain."""
    if not course.falls or course.falls[0].collection is None:
        return None
    first = course.falls[0]
    given = first.top_mib - first.low_mib
    allocator = "glibc's malloc" if glibc else "the allocator"
    if len(course.falls) == 1 and any(c > first.low_iter for c in course.collections):
        why = (
            f"the arrays ({array_mib:.2f} MiB each) were mmapped blocks, which go back to the "
            f"kernel as soon as they are freed, and freeing one raised glibc's mmap threshold "
            f"above their size, so later arrays come from the heap, whose freed memory stays in "
            f"the process for the next ones"
            if glibc
            else "after it the allocator kept the freed arrays for the next ones"
        )
        return (
            f"Only the first collection gives memory back ({given:.1f} MiB): {why}. After it, "
            f"RSS shows the high-water mark of the live memory, not a leak "
            f'(docs/measurement.md, "RSS falls once").'
        )
    seen = {c for c in course.collections if c < course.end_iter}  # with samples after them
    if seen <= {f.collection for f in course.falls}:
        return (
            f"RSS falls with the live memory at every collection: {allocator} gave the freed "
            f"arrays ({array_mib:.2f} MiB each) back to the kernel each time ({given:.1f} MiB "
            f"at the first)."
        )
    return None
