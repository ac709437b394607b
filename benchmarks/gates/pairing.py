"""Two files' records paired by name, for the gates (`compare.py`, `ratio_gate.py`): the names
both hold, in the old file's order, and those only one holds (each gate decides which of those
fail it: a record OLD measured and NEW lacks does)."""

from dataclasses import dataclass, field


@dataclass
class Pairing:
    both: list[tuple[str, dict, dict]] = field(default_factory=list)  # (name, old, new)
    only_in_old: list[str] = field(default_factory=list)
    only_in_new: list[str] = field(default_factory=list)

    def lines(self):
        """The names only one file holds, as the gates print them."""
        lines = []
        if self.only_in_old:
            lines.append(f"only in old: {', '.join(self.only_in_old)}")
        if self.only_in_new:
            lines.append(f"only in new: {', '.join(self.only_in_new)}")
        return lines


def pair(old_by_name, new_by_name):
    return Pairing(
        both=[(n, old, new_by_name[n]) for n, old in old_by_name.items() if n in new_by_name],
        only_in_old=[n for n in old_by_name if n not in new_by_name],
        only_in_new=[n for n in new_by_name if n not in old_by_name],
    )
