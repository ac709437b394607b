"""A flame graph of the allocations alive at a native pass's peak, as one static SVG: no script,
nothing fetched, so it works offline like the rest of the report.

Drawn from the peak's stack summary alone (`benchmarks/measure/peak_stacks.py` makes it from
memray's capture): an icicle, the whole peak on top and each frame below its caller, as wide as
the bytes its stacks hold. Hovering a frame shows its name, bytes and share of the peak.
Everything that comes from the summary is escaped.
"""

import colorsys
import html
import re
import zlib

MIB = 2**20
SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 1200
ROW = 18
TOP = 46  # the title's two lines
CHAR_PX = 7.2  # a 12 px monospace character
NARROWEST_PX = 0.5  # a frame this narrow is drawn as part of its caller
KINDS = ("project", "python", "native", "other")
# Hue ranges per kind: our code warm, other Python green, native code blue, "other" grey.
_HUES = {"project": (0, 40), "python": (70, 130), "native": (195, 240), "other": (0, 0)}
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Frame:
    __slots__ = ("allocations", "bytes", "children", "frame")

    def __init__(self, frame):
        self.frame = frame
        self.bytes = self.allocations = 0
        self.children = {}


def label(frame):
    """`function (file:line)` for a Python frame, the bare name for a native one."""
    if frame.get("file"):
        where = frame["file"] if frame.get("line") is None else f"{frame['file']}:{frame['line']}"
        return f"{frame['function']} ({where})"
    return str(frame["function"])


def _tree(summary):
    """The stacks as a tree, each node holding its stacks' bytes; a clear error for a summary
    that is not one."""
    frames = summary.get("frames") if isinstance(summary, dict) else None
    stacks = summary.get("stacks") if isinstance(summary, dict) else None
    if not isinstance(frames, list) or not isinstance(stacks, list):
        raise ValueError("a peak stack summary needs 'frames' and 'stacks', two lists")
    for n, frame in enumerate(frames):
        if not isinstance(frame, dict) or "function" not in frame:
            raise ValueError(f"frame {n}: needs a 'function', got {frame!r}")
    root = _Frame({"function": "all", "kind": "other"})
    for n, stack in enumerate(stacks):
        stack = stack if isinstance(stack, dict) else {}
        size, ids, count = stack.get("bytes"), stack.get("frames"), stack.get("allocations", 0)
        whole = all(isinstance(x, int) and x >= 0 for x in (size, count))
        if not whole or not isinstance(ids, list):
            raise ValueError(
                f"stack {n}: needs 'frames' (a list) and 'bytes' and 'allocations' "
                "(whole numbers from 0)"
            )
        node = root
        for key in [None, *ids]:
            if key is not None:
                if not isinstance(key, int) or not 0 <= key < len(frames):
                    raise ValueError(f"stack {n}: frame {key!r} is not in 'frames'")
                node = node.children.setdefault(key, _Frame(frames[key]))
            node.bytes += size
            node.allocations += count
    return root


def _colour(frame):
    kind = frame.get("kind") if frame.get("kind") in KINDS else "other"
    low, high = _HUES[kind]
    if kind == "other":
        return "#d9d9d9"
    # A stable pick per name, so a frame keeps its colour from one report to the next.
    spread = zlib.crc32(str(frame.get("function")).encode())
    hue = low + spread % (high - low + 1)
    lightness = 0.68 + (spread >> 8) % 14 / 100
    # Hex, not hsl(): SVG 1.1 viewers and converters know only the former.
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, 0.7)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _text(value):
    """Text from the summary, safe in XML: escaped, characters XML cannot hold replaced."""
    return html.escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


def _fit(text, width_px):
    room = int((width_px - 6) / CHAR_PX)
    if room < 3:
        return ""
    return text if len(text) <= room else text[: room - 1] + "…"


def svg(summary, title="Allocations alive at the peak"):
    """The flame graph of `summary` as an SVG document (a string)."""
    root = _tree(summary)
    total = root.bytes
    rows = []
    depth = _draw(root, 0, 0.0, WIDTH / total if total else 0.0, total, rows)
    height = TOP + depth * ROW + 4
    heading = f"{title}: {total / MIB:,.2f} MiB"
    note = (
        f"{root.allocations:,} allocations; width is bytes; frames under "
        f"{summary.get('min_share', 0):.1%} of the peak are merged into \u201cother\u201d"
    )
    return "\n".join(
        [
            f'<svg xmlns="{SVG_NS}" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" font-family="monospace" font-size="12">',
            f"<title>{_text(heading)}</title>",
            '<rect width="100%" height="100%" fill="#ffffff"/>',
            f'<text x="4" y="18" font-size="15" font-weight="bold">{_text(heading)}</text>',
            f'<text x="4" y="36" fill="#555555">{_text(note)}</text>',
            *rows,
            "</svg>",
            "",
        ]
    )


def _draw(node, level, x, scale, total, rows):
    """Append `node` and its callees at row `level`; return the rows used."""
    width = node.bytes * scale
    if width < NARROWEST_PX:
        return level
    name = "all allocations alive at the peak" if level == 0 else label(node.frame)
    share = node.bytes / total if total else 0.0
    tip = (
        f"{name}\n{node.bytes / MIB:,.3f} MiB ({share:.1%} of the peak), "
        f"{node.allocations:,} allocations"
    )
    y = TOP + level * ROW
    fill = "#bdbdbd" if level == 0 else _colour(node.frame)
    rows.append(
        f"<g><title>{_text(tip)}</title>"
        f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{ROW - 1}" fill="{fill}" '
        f'stroke="#ffffff" stroke-width="0.5"/>'
        f'<text x="{x + 3:.2f}" y="{y + ROW - 5}">{_text(_fit(name, width))}</text></g>'
    )
    deepest = level + 1
    # Widest first: the stacks that hold most of the peak read from the left.
    for child in sorted(node.children.values(), key=lambda c: (-c.bytes, label(c.frame))):
        deepest = max(deepest, _draw(child, level + 1, x, scale, total, rows))
        x += child.bytes * scale
    return deepest
