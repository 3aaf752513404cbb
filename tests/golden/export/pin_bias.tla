---- MODULE pin_bias ----
(*
 * TLA+ module of pinmc spec pin_bias,
 * written by pinmc 0.1.0 (pinmc export --tla); save it as pin_bias.tla.
 * folio_maybe_dma_pinned() on a small folio: false positives allowed, false negatives never
 * Constants: BIAS = 1024, GETS = 2, PINS = 2
 *
 * Next has one action per pinmc transition (a step of an actor instance, one if/either
 * branch; a choose is \E). An action needs its guard and all its checks passing:
 * a failing assert or range check has no successor in pinmc. Enum members and pcs
 * are strings (a finished thread: "done"); machine integers wrap by WrapU/WrapS.
 * Check with TLC (-deadlock) and this configuration; reachable P is NotReached_P,
 * violated exactly when P is reachable:
 *   SPECIFICATION Spec
 *   INVARIANTS TypeOK Inv_no_false_negative NotReached_pinned NotReached_false_positive
 * TLC computes with 32-bit integers: 2^32 in WrapU (u32) and larger values overflow
 * there; Apalache has no such limit. This module was not checked by a TLA+ tool
 * when it was written.
 *)

EXTENDS Integers

VARIABLES X_refcount, X_pins, pinner_0_held, pinner_1_held, getter_0_held, getter_1_held

vars == <<X_refcount, X_pins, pinner_0_held, pinner_1_held, getter_0_held, getter_1_held>>

Abs(x) == IF x < 0 THEN -x ELSE x
\* machine integers: unsigned and two's complement wrap-around at n bits
WrapU(x, n) == x % (2^n)
WrapS(x, n) == ((x + 2^(n-1)) % (2^n)) - 2^(n-1)
\* C division and remainder (truncating toward zero); pinmc defines x / 0 = 0, x % 0 = x
CDiv(a, b) == IF b = 0 THEN 0
              ELSE IF (a >= 0) = (b >= 0) THEN Abs(a) \div Abs(b) ELSE -(Abs(a) \div Abs(b))
CMod(a, b) == IF b = 0 THEN a ELSE a - b * CDiv(a, b)

TypeOK ==
    /\ X_refcount \in (-2147483648)..2147483647
    /\ X_pins \in 0..4294967295
    /\ pinner_0_held \in 0..4294967295
    /\ pinner_1_held \in 0..4294967295
    /\ getter_0_held \in 0..4294967295
    /\ getter_1_held \in 0..4294967295

Init ==
    /\ X_refcount = 1
    /\ X_pins = 0
    /\ pinner_0_held = 0
    /\ pinner_1_held = 0
    /\ getter_0_held = 0
    /\ getter_1_held = 0

\* pinner[0].pin
pinner_0_pin ==
    /\ ((pinner_0_held < 2) /\ (X_refcount > 0))
    /\ X_refcount' = WrapS((X_refcount + 1024), 32)
    /\ X_pins' = WrapU((X_pins + 1), 32)
    /\ pinner_0_held' = WrapU((pinner_0_held + 1), 32)
    /\ UNCHANGED <<pinner_1_held, getter_0_held, getter_1_held>>

\* pinner[0].unpin
pinner_0_unpin ==
    /\ (pinner_0_held > 0)
    /\ X_refcount' = WrapS((X_refcount - 1024), 32)
    /\ X_pins' = WrapU((X_pins - 1), 32)
    /\ pinner_0_held' = WrapU((pinner_0_held - 1), 32)
    /\ UNCHANGED <<pinner_1_held, getter_0_held, getter_1_held>>

\* pinner[1].pin
pinner_1_pin ==
    /\ ((pinner_1_held < 2) /\ (X_refcount > 0))
    /\ X_refcount' = WrapS((X_refcount + 1024), 32)
    /\ X_pins' = WrapU((X_pins + 1), 32)
    /\ pinner_1_held' = WrapU((pinner_1_held + 1), 32)
    /\ UNCHANGED <<pinner_0_held, getter_0_held, getter_1_held>>

\* pinner[1].unpin
pinner_1_unpin ==
    /\ (pinner_1_held > 0)
    /\ X_refcount' = WrapS((X_refcount - 1024), 32)
    /\ X_pins' = WrapU((X_pins - 1), 32)
    /\ pinner_1_held' = WrapU((pinner_1_held - 1), 32)
    /\ UNCHANGED <<pinner_0_held, getter_0_held, getter_1_held>>

\* getter[0].get
getter_0_get ==
    /\ ((getter_0_held < 2) /\ (X_refcount > 0))
    /\ X_refcount' = WrapS((X_refcount + 1), 32)
    /\ getter_0_held' = WrapU((getter_0_held + 1), 32)
    /\ UNCHANGED <<X_pins, pinner_0_held, pinner_1_held, getter_1_held>>

\* getter[0].put
getter_0_put ==
    /\ (getter_0_held > 0)
    /\ X_refcount' = WrapS((X_refcount - 1), 32)
    /\ getter_0_held' = WrapU((getter_0_held - 1), 32)
    /\ UNCHANGED <<X_pins, pinner_0_held, pinner_1_held, getter_1_held>>

\* getter[1].get
getter_1_get ==
    /\ ((getter_1_held < 2) /\ (X_refcount > 0))
    /\ X_refcount' = WrapS((X_refcount + 1), 32)
    /\ getter_1_held' = WrapU((getter_1_held + 1), 32)
    /\ UNCHANGED <<X_pins, pinner_0_held, pinner_1_held, getter_0_held>>

\* getter[1].put
getter_1_put ==
    /\ (getter_1_held > 0)
    /\ X_refcount' = WrapS((X_refcount - 1), 32)
    /\ getter_1_held' = WrapU((getter_1_held - 1), 32)
    /\ UNCHANGED <<X_pins, pinner_0_held, pinner_1_held, getter_0_held>>

Next ==
    \/ pinner_0_pin
    \/ pinner_0_unpin
    \/ pinner_1_pin
    \/ pinner_1_unpin
    \/ getter_0_get
    \/ getter_0_put
    \/ getter_1_get
    \/ getter_1_put

Spec == Init /\ [][Next]_vars

\* ---- properties: check each as a TLC INVARIANT ----

\* invariant no_false_negative
Inv_no_false_negative == ((X_pins > 0) => (WrapU(X_refcount, 32) >= 1024))

\* reachable pinned: a violation of this invariant is a witness
NotReached_pinned == ~(X_pins > 0)

\* reachable false_positive: a violation of this invariant is a witness
NotReached_false_positive == ~((X_pins = 0) /\ (WrapU(X_refcount, 32) >= 1024))

============
