"""The report asks the figure table (benchmarks/figures.py) for every figure's key and title, and
workloads/variants.py for the variant names it compares: no module under benchmarks/report/ and
no template spells one, so a renamed figure or variant cannot leave a stale label behind."""

import ast
import re
from pathlib import Path

from benchmarks import figures as F
from benchmarks.workloads import variants as V

ROOT = Path(__file__).resolve().parents[1] / "benchmarks"
MODULES = sorted((ROOT / "report").rglob("*.py"))
TEMPLATES = sorted((ROOT / "templates").rglob("*.j2"))
# A key such as `tracemalloc_peak_mib` is never a word of a sentence; one that is a word
# (`seconds`) counts only as a whole string, as a title (a label) does.
KEYS = {f.name for f in F.FIGURES if "_" in f.name}
LABELS = {f.name for f in F.FIGURES} - KEYS | {f.title for f in F.FIGURES}
# Every canonical name but the plain-numpy reference's, which is also the package's name.
VARIANTS = {name for name in V.ANY_WORKLOAD if "-" in name}


def python_strings(path):
    """(line, text) of every string constant in a module, f-string parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def spelled(text, names):
    """The names in `names` that `text` holds as a whole word (a key inside another is not)."""
    return {n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)}


def test_no_report_module_spells_a_figure_key_title_or_variant_name():
    found = []
    for path in MODULES:
        for line, text in python_strings(path):
            hits = spelled(text, KEYS | VARIANTS) | ({text.strip()} & LABELS)
            found += [f"{path.relative_to(ROOT)}:{line}: {hit!r}" for hit in sorted(hits)]
    assert not found, "ask benchmarks/figures.py or workloads/variants.py instead:\n" + "\n".join(
        found
    )


def test_no_template_spells_a_figure_key_title_or_variant_name():
    found = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        cells = re.findall(r"<th[^>]*>(.*?)</th>", text, re.S)
        labels = {re.sub(r"<[^>]+>|,.*", " ", cell).split("  ")[0].strip() for cell in cells}
        hits = spelled(text, KEYS | VARIANTS) | (labels & LABELS)
        found += [f"{path.relative_to(ROOT)}: {hit!r}" for hit in sorted(hits)]
    assert not found, "read the figure from the section's values instead:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    # The checks above can fail: each kind of spelling is caught in a sample.
    sample = tmp_path / "sample.py"
    sample.write_text('a = "tracemalloc_peak_mib"\nb = f"{x} strong-backprop"\nc = "peak RSS"\n')
    strings = [text for _, text in python_strings(sample)]
    assert spelled(strings[0], KEYS) == {F.TRACED_PEAK.name}
    assert spelled(" ".join(strings), VARIANTS) == {V.HEADLINE[0]}
    assert {s.strip() for s in strings} & LABELS == {F.PEAK_RSS.title}
    assert not spelled("weak-backprop-2", VARIANTS) and not spelled(
        "book-strong-backprop", {"strong-backprop"}
    )
