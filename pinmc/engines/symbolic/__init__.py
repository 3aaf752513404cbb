"""The z3 engines: BMC, k-induction and PDR (Spacer).  z3 stays in here."""
