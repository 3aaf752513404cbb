"""State values in their JSON form: booleans, enum members and program
counters by name, integers as numbers."""

from __future__ import annotations

from typing import Any

from pinmc.ir.system import System
from pinmc.ir.types import BoolT, EnumT, PcT


def value_json(system: System, slot: int, value: int) -> Any:
    """One slot's value as JSON: bool, enum member name, `step` label, or int."""
    t = system.vars[slot].ty
    if isinstance(t, BoolT):
        return bool(value)
    if isinstance(t, EnumT):
        return t.members[value]
    if isinstance(t, PcT):
        return t.show(value)
    return value


def show_json(value: Any) -> str:
    """A JSON state value as traces write it: `true`/`false`, else as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def state_json(system: System, state: tuple[int, ...]) -> dict[str, Any]:
    """A whole state: slot name -> value, in slot order."""
    return {v.name: value_json(system, k, state[k]) for k, v in enumerate(system.vars)}
