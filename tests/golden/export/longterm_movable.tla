---- MODULE longterm_movable ----
(*
 * TLA+ module of pinmc spec longterm_movable,
 * written by pinmc 0.1.0 (pinmc export --tla); save it as longterm_movable.tla.
 * a FOLL_LONGTERM pin must not stay in ZONE_MOVABLE
 * Constants: BIAS = 1024
 *
 * Next has one action per pinmc transition (a step of an actor instance, one if/either
 * branch; a choose is \E). An action needs its guard and all its checks passing:
 * a failing assert or range check has no successor in pinmc. Enum members and pcs
 * are strings (a finished thread: "done"); machine integers wrap by WrapU/WrapS.
 * Check with TLC (-deadlock) and this configuration; reachable P is NotReached_P,
 * violated exactly when P is reachable:
 *   SPECIFICATION Spec
 *   INVARIANTS TypeOK Inv_longterm_pinnable_when_pinned Inv_dma_target_stays Inv_accounting NotReached_dma_running NotReached_compacted InRange DeadlockFree
 * TLC computes with 32-bit integers: 2^32 in WrapU (u32) and larger values overflow
 * there; Apalache has no such limit. This module was not checked by a TLA+ tool
 * when it was written.
 *)

EXTENDS Integers

VARIABLES X_refcount, X_pins, X_zone, X_generation, user_pc, user_target

vars == <<X_refcount, X_pins, X_zone, X_generation, user_pc, user_target>>

Abs(x) == IF x < 0 THEN -x ELSE x
\* machine integers: unsigned and two's complement wrap-around at n bits
WrapU(x, n) == x % (2^n)
WrapS(x, n) == ((x + 2^(n-1)) % (2^n)) - 2^(n-1)
\* C division and remainder (truncating toward zero); pinmc defines x / 0 = 0, x % 0 = x
CDiv(a, b) == IF b = 0 THEN 0
              ELSE IF (a >= 0) = (b >= 0) THEN Abs(a) \div Abs(b) ELSE -(Abs(a) \div Abs(b))
CMod(a, b) == IF b = 0 THEN a ELSE a - b * CDiv(a, b)

TypeOK ==
    /\ X_refcount \in 0..4294967295
    /\ X_pins \in 0..1
    /\ X_zone \in {"NORMAL", "MOVABLE"}
    /\ X_generation \in 0..2
    /\ user_pc \in {"pin", "check", "dma", "unpin", "done"}
    /\ user_target \in 0..2

Init ==
    /\ X_refcount = 1
    /\ X_pins = 0
    /\ X_zone = "MOVABLE"
    /\ X_generation = 0
    /\ user_pc = "pin"
    /\ user_target = 0

\* user.pin
user_pin ==
    /\ (user_pc = "pin")
    /\ ~(((X_pins + 1) < 0) \/ ((X_pins + 1) > 1))
    /\ ~((X_generation < 0) \/ (X_generation > 2))
    /\ X_refcount' = WrapU((X_refcount + 1024), 32)
    /\ X_pins' = (X_pins + 1)
    /\ user_pc' = "check"
    /\ user_target' = X_generation
    /\ UNCHANGED <<X_zone, X_generation>>

\* user.check
user_check ==
    /\ (user_pc = "check")
    /\ user_pc' = "dma"
    /\ UNCHANGED <<X_refcount, X_pins, X_zone, X_generation, user_target>>

\* user.dma
user_dma ==
    /\ (user_pc = "dma")
    /\ user_pc' = "unpin"
    /\ UNCHANGED <<X_refcount, X_pins, X_zone, X_generation, user_target>>

\* user.unpin
user_unpin ==
    /\ (user_pc = "unpin")
    /\ ~(((X_pins - 1) < 0) \/ ((X_pins - 1) > 1))
    /\ X_refcount' = WrapU((X_refcount - 1024), 32)
    /\ X_pins' = (X_pins - 1)
    /\ user_pc' = "done"
    /\ UNCHANGED <<X_zone, X_generation, user_target>>

\* compaction.migrate
compaction_migrate ==
    /\ (((X_zone = "MOVABLE") /\ (X_refcount = 1)) /\ (X_generation = 0))
    /\ ~(((X_generation + 1) < 0) \/ ((X_generation + 1) > 2))
    /\ X_generation' = (X_generation + 1)
    /\ UNCHANGED <<X_refcount, X_pins, X_zone, user_pc, user_target>>

Next ==
    \/ user_pin
    \/ user_check
    \/ user_dma
    \/ user_unpin
    \/ compaction_migrate

Spec == Init /\ [][Next]_vars

\* ---- properties: check each as a TLC INVARIANT ----

\* invariant longterm_pinnable_when_pinned
Inv_longterm_pinnable_when_pinned == (((user_pc = "dma") \/ (user_pc = "unpin")) => (X_zone # "MOVABLE"))

\* invariant dma_target_stays
Inv_dma_target_stays == (((user_pc = "dma") \/ (user_pc = "unpin")) => (user_target = X_generation))

\* invariant accounting
Inv_accounting == (X_refcount = (1 + (1024 * X_pins)))

\* reachable dma_running: a violation of this invariant is a witness
NotReached_dma_running == ~(user_pc = "dma")

\* reachable compacted: a violation of this invariant is a witness
NotReached_compacted == ~((X_zone = "MOVABLE") /\ (X_generation > 0))

\* every range check: no reachable state enables a step with it failing
InRange == ~(((user_pc = "pin") /\ (((X_pins + 1) < 0) \/ ((X_pins + 1) > 1))) \/ ((user_pc = "pin") /\ ~(((X_pins + 1) < 0) \/ ((X_pins + 1) > 1)) /\ ((X_generation < 0) \/ (X_generation > 2))) \/ ((user_pc = "unpin") /\ (((X_pins - 1) < 0) \/ ((X_pins - 1) > 1))) \/ ((((X_zone = "MOVABLE") /\ (X_refcount = 1)) /\ (X_generation = 0)) /\ (((X_generation + 1) < 0) \/ ((X_generation + 1) > 2))))

\* deadlock: a thread not done and no step enabled (a step whose check fails is
\* enabled); TLC's own deadlock check differs, so run TLC with -deadlock
DeadlockFree == \/ (user_pc = "done")
                \/ (user_pc = "pin")
                \/ (user_pc = "check")
                \/ (user_pc = "dma")
                \/ (user_pc = "unpin")
                \/ (((X_zone = "MOVABLE") /\ (X_refcount = 1)) /\ (X_generation = 0))

============
