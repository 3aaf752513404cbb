"""Exporting a spec to other verification tools (`pinmc export`).

Both exporters translate the lowered transition system (`ir.System`), the
relation pinmc's own engines explore, not the syntax tree:

* `promela.to_promela`: a Promela model for SPIN whose reachable states,
  with SPIN's reductions off, are exactly pinmc's (tests/test_spin_diff.py
  checks this against pan on every spec and on random specs);
* `tla.to_tla`: a TLA+ module (VARIABLES, Init, Next, one definition per
  property) for TLC or Apalache; not machine-checked here (no TLC).

What a target cannot express exactly is refused with a located PIN420
error (`refuse.py`), never approximated.
"""
