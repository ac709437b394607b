"""One colour and line style per variant name, so a variant looks the same in every plot.

Our strong graph is red and our weak graph blue (darker = more recorded), numpy grey, each peer
its own hue; the mode also sets the line style, for readers who cannot tell the shades apart.
"""

import zlib

from ..workloads.variants import BY_NAME

_FAMILIES = {
    "strong": {"backprop": "#b2182b", "backward": "#e34a33", "no_grad": "#f4a582"},
    "weak": {"backprop": "#2166ac", "backward": "#4393c3", "no_grad": "#92c5de"},
    "torch": {"backprop": "#d95f02", "backward": "#f29e4c", "no_grad": "#fdd0a2"},
    "dezero": {"backprop": "#1b7837", "backward": "#5aae61", "no_grad": "#a6dba0"},
    "autograd": {"backprop": "#762a83", "backward": "#9970ab", "no_grad": "#c2a5cf"},
    # The book's engine: a darker and a lighter shade of ours, so each sits near its twin.
    "book-strong": {"backprop": "#67001f"},
    "book-weak": {"backprop": "#053061"},
}
NUMPY = "#636363"
# Peers this palette does not know yet: a stable pick from colours unused above.
_OTHERS = ("#8c510a", "#01665e", "#c51b7d", "#4d9221", "#b8860b", "#35978f")
_LINESTYLES = {"backprop": "-", "backward": "--", "no_grad": ":"}


def _impl_mode(name):
    # A results file may name a variant this version does not know: it gets a colour all the same.
    variant = BY_NAME.get(name)
    return (variant.impl, variant.mode) if variant else (name, None)


def colour(name):
    impl, mode = _impl_mode(name)
    if impl == "numpy":
        return NUMPY
    family = _FAMILIES.get(impl)
    if family:
        return family.get(mode, family["backprop"])
    return _OTHERS[zlib.crc32(name.encode()) % len(_OTHERS)]


def linestyle(name):
    if name == "numpy":
        return "-."
    return _LINESTYLES.get(_impl_mode(name)[1], "-")
