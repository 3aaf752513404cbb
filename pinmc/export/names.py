"""Identifiers of an exported model: pinmc names made legal and unique.

pinmc names such as `X.refcount`, `P[1].dirty`, `user[0].pc` or the
property `flusher.writeback` are not identifiers in Promela or TLA+.
`mangle` turns them into ones (`X_refcount`, `P_1_dirty`, `user_0_pc`);
a `Names` table hands out each identifier once, avoiding the target's
reserved words, so two pinmc names that mangle alike still get different
identifiers.  Allocation is in call order, so the same System always gets
the same identifiers.
"""

from __future__ import annotations

import re

# Promela keywords and predefined names, and the C keywords and pan
# internals a Promela identifier must not be (pan compiles names into C).
PROMELA_RESERVED = frozenset("""
    active assert atomic bit bool break byte c_code c_decl c_expr c_state c_track chan d_proctype d_step
    do else empty enabled end eval false fi full goto hidden if init inline int len local mtype nempty
    never nfull od of pc_value pid printf printm priority proctype provided run select short show skip
    timeout trace true typedef unless unsigned xr xs ltl always eventually until weak stronguntil
    weakuntil release implies equivalent np_ _last _nr_pr _pid _priority
    auto case char const continue default double enum extern float for long register return signed
    sizeof static struct switch union void volatile while now trpt uchar uint ushort main
""".split())

# TLA+ reserved words, the standard modules' operators the exported module
# uses or EXTENDS, and the helpers it defines.
TLA_RESERVED = frozenset("""
    ASSUME ASSUMPTION AXIOM BOOLEAN CASE CHOOSE CONSTANT CONSTANTS DOMAIN ELSE ENABLED EXCEPT EXTENDS
    FALSE IF IN INSTANCE LET LOCAL MODULE OTHER STRING SUBSET THEN THEOREM TRUE UNCHANGED UNION
    VARIABLE VARIABLES WITH WF_ SF_ LAMBDA RECURSIVE USE BY DEF PROOF QED OBVIOUS OMITTED HAVE
    TAKE WITNESS PICK SUFFICES NEW STATE ACTION TEMPORAL ONLY HIDE DEFINE LEMMA PROPOSITION COROLLARY
    Int Nat Real Infinity Seq Len Head Tail Append SubSeq SelectSeq
    Init Next Spec vars Abs WrapU WrapS CDiv CMod DeadlockFree InRange TypeOK
""".split())


def mangle(name: str) -> str:
    """`name` with every run of characters that are not letters, digits or
    `_` replaced by one `_`, stripped of leading and trailing `_`."""
    out = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    return out or "x"


class Names:
    """A table of the identifiers used so far in one exported model."""

    def __init__(self, reserved: frozenset[str]):
        self.reserved = reserved
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        """A fresh identifier close to `wanted` (mangled; `_2`, `_3` ...
        appended on a clash; a leading letter added if needed)."""
        base = mangle(wanted)
        if not base[0].isalpha():
            base = "v" + base
        name, k = base, 1
        while name in self.used or name in self.reserved:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name
