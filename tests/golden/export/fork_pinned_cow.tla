---- MODULE fork_pinned_cow ----
(*
 * TLA+ module of pinmc spec fork_pinned_cow,
 * written by pinmc 0.1.0 (pinmc export --tla); save it as fork_pinned_cow.tla.
 * fork() shares a DMA-pinned page; the parent's next write COWs away from the device
 * Constants: BIAS = 1024
 *
 * Next has one action per pinmc transition (a step of an actor instance, one if/either
 * branch; a choose is \E). An action needs its guard and all its checks passing:
 * a failing assert or range check has no successor in pinmc. Enum members and pcs
 * are strings (a finished thread: "done"); machine integers wrap by WrapU/WrapS.
 * Check with TLC (-deadlock) and this configuration; reachable P is NotReached_P,
 * violated exactly when P is reachable:
 *   SPECIFICATION Spec
 *   INVARIANTS TypeOK Inv_coherent Inv_isolated Inv_exclusive_while_pinned Inv_accounting NotReached_dma_after_fork NotReached_plain_cow NotReached_child_private_copy InRange DeadlockFree
 * TLC computes with 32-bit integers: 2^32 in WrapU (u32) and larger values overflow
 * there; Apalache has no such limit. This module was not checked by a TLA+ tool
 * when it was written.
 *)

EXTENDS Integers

VARIABLES X_refcount, X_mapcount, X_pins, X_exclusive, X_dma_after_fork, has_pinned, forked, child_pte, parent_pc, parent_pinned, parent_writable, parent_on_copy, child_pc

vars == <<X_refcount, X_mapcount, X_pins, X_exclusive, X_dma_after_fork, has_pinned, forked, child_pte, parent_pc, parent_pinned, parent_writable, parent_on_copy, child_pc>>

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
    /\ X_mapcount \in 0..2
    /\ X_pins \in 0..1
    /\ X_exclusive \in BOOLEAN
    /\ X_dma_after_fork \in BOOLEAN
    /\ has_pinned \in BOOLEAN
    /\ forked \in BOOLEAN
    /\ child_pte \in {"UNMAPPED", "MAPS_X", "MAPS_COPY"}
    /\ parent_pc \in {"pin", "fork", "write", "unpin", "done"}
    /\ parent_pinned \in BOOLEAN
    /\ parent_writable \in BOOLEAN
    /\ parent_on_copy \in BOOLEAN
    /\ child_pc \in {"exit", "done"}

Init ==
    /\ X_refcount = 1
    /\ X_mapcount = 1
    /\ X_pins = 0
    /\ X_exclusive = TRUE
    /\ X_dma_after_fork = FALSE
    /\ has_pinned = FALSE
    /\ forked = FALSE
    /\ child_pte = "UNMAPPED"
    /\ parent_pc = "pin"
    /\ parent_pinned = FALSE
    /\ parent_writable = TRUE
    /\ parent_on_copy = FALSE
    /\ child_pc = "exit"

\* parent.pin [either 1]
parent_pin_1 ==
    /\ (parent_pc = "pin")
    /\ ~(((X_pins + 1) < 0) \/ ((X_pins + 1) > 1))
    /\ X_refcount' = WrapU((X_refcount + 1024), 32)
    /\ X_pins' = (X_pins + 1)
    /\ has_pinned' = TRUE
    /\ parent_pc' = "fork"
    /\ parent_pinned' = TRUE
    /\ UNCHANGED <<X_mapcount, X_exclusive, X_dma_after_fork, forked, child_pte, parent_writable, parent_on_copy, child_pc>>

\* parent.pin [either 2]
parent_pin_2 ==
    /\ (parent_pc = "pin")
    /\ parent_pc' = "fork"
    /\ UNCHANGED <<X_refcount, X_mapcount, X_pins, X_exclusive, X_dma_after_fork, has_pinned, forked, child_pte, parent_pinned, parent_writable, parent_on_copy, child_pc>>

\* parent.fork
parent_fork ==
    /\ (parent_pc = "fork")
    /\ ~(((X_mapcount + 1) < 0) \/ ((X_mapcount + 1) > 2))
    /\ X_refcount' = WrapU((X_refcount + 1), 32)
    /\ X_mapcount' = (X_mapcount + 1)
    /\ X_exclusive' = FALSE
    /\ forked' = TRUE
    /\ child_pte' = "MAPS_X"
    /\ parent_pc' = "write"
    /\ parent_writable' = FALSE
    /\ UNCHANGED <<X_pins, X_dma_after_fork, has_pinned, parent_pinned, parent_on_copy, child_pc>>

\* parent.write
parent_write ==
    /\ (parent_pc = "write")
    /\ ~(~parent_writable /\ (~(X_refcount = 1) /\ (((X_mapcount - 1) < 0) \/ ((X_mapcount - 1) > 2))))
    /\ X_refcount' = (IF ~parent_writable THEN (IF (X_refcount = 1) THEN X_refcount ELSE WrapU((X_refcount - 1), 32)) ELSE X_refcount)
    /\ X_mapcount' = (IF ~parent_writable THEN (IF (X_refcount = 1) THEN X_mapcount ELSE (X_mapcount - 1)) ELSE X_mapcount)
    /\ X_exclusive' = (IF ~parent_writable THEN (IF (X_refcount = 1) THEN TRUE ELSE X_exclusive) ELSE X_exclusive)
    /\ parent_pc' = "unpin"
    /\ parent_writable' = (IF ~parent_writable THEN TRUE ELSE parent_writable)
    /\ parent_on_copy' = (IF ~parent_writable THEN (IF (X_refcount = 1) THEN parent_on_copy ELSE TRUE) ELSE parent_on_copy)
    /\ UNCHANGED <<X_pins, X_dma_after_fork, has_pinned, forked, child_pte, parent_pinned, child_pc>>

\* parent.unpin
parent_unpin ==
    /\ (parent_pc = "unpin")
    /\ ~(parent_pinned /\ (((X_pins - 1) < 0) \/ ((X_pins - 1) > 1)))
    /\ X_refcount' = (IF parent_pinned THEN WrapU((X_refcount - 1024), 32) ELSE X_refcount)
    /\ X_pins' = (IF parent_pinned THEN (X_pins - 1) ELSE X_pins)
    /\ parent_pc' = "done"
    /\ parent_pinned' = (IF parent_pinned THEN FALSE ELSE parent_pinned)
    /\ UNCHANGED <<X_mapcount, X_exclusive, X_dma_after_fork, has_pinned, forked, child_pte, parent_writable, parent_on_copy, child_pc>>

\* child.exit
child_exit ==
    /\ ((child_pc = "exit") /\ forked)
    /\ ~((child_pte = "MAPS_X") /\ (((X_mapcount - 1) < 0) \/ ((X_mapcount - 1) > 2)))
    /\ X_refcount' = (IF (child_pte = "MAPS_X") THEN WrapU((X_refcount - 1), 32) ELSE X_refcount)
    /\ X_mapcount' = (IF (child_pte = "MAPS_X") THEN (X_mapcount - 1) ELSE X_mapcount)
    /\ child_pte' = "UNMAPPED"
    /\ child_pc' = "done"
    /\ UNCHANGED <<X_pins, X_exclusive, X_dma_after_fork, has_pinned, forked, parent_pc, parent_pinned, parent_writable, parent_on_copy>>

\* device.dma
device_dma ==
    /\ (X_pins > 0)
    /\ X_dma_after_fork' = (IF forked THEN TRUE ELSE X_dma_after_fork)
    /\ UNCHANGED <<X_refcount, X_mapcount, X_pins, X_exclusive, has_pinned, forked, child_pte, parent_pc, parent_pinned, parent_writable, parent_on_copy, child_pc>>

Next ==
    \/ parent_pin_1
    \/ parent_pin_2
    \/ parent_fork
    \/ parent_write
    \/ parent_unpin
    \/ child_exit
    \/ device_dma

Spec == Init /\ [][Next]_vars

\* ---- properties: check each as a TLC INVARIANT ----

\* invariant coherent
Inv_coherent == (parent_pinned => ~parent_on_copy)

\* invariant isolated
Inv_isolated == ((child_pte = "MAPS_X") => ~X_dma_after_fork)

\* invariant exclusive_while_pinned
Inv_exclusive_while_pinned == ((X_pins > 0) => X_exclusive)

\* invariant accounting
Inv_accounting == (X_refcount = (X_mapcount + (1024 * X_pins)))

\* reachable dma_after_fork: a violation of this invariant is a witness
NotReached_dma_after_fork == ~(X_dma_after_fork /\ parent_pinned)

\* reachable plain_cow: a violation of this invariant is a witness
NotReached_plain_cow == ~(parent_on_copy /\ ~parent_pinned)

\* reachable child_private_copy: a violation of this invariant is a witness
NotReached_child_private_copy == ~(child_pte = "MAPS_COPY")

\* every range check: no reachable state enables a step with it failing
InRange == ~(((parent_pc = "pin") /\ (((X_pins + 1) < 0) \/ ((X_pins + 1) > 1))) \/ ((parent_pc = "fork") /\ (((X_mapcount + 1) < 0) \/ ((X_mapcount + 1) > 2))) \/ ((parent_pc = "write") /\ (~parent_writable /\ (~(X_refcount = 1) /\ (((X_mapcount - 1) < 0) \/ ((X_mapcount - 1) > 2))))) \/ ((parent_pc = "unpin") /\ (parent_pinned /\ (((X_pins - 1) < 0) \/ ((X_pins - 1) > 1)))) \/ (((child_pc = "exit") /\ forked) /\ ((child_pte = "MAPS_X") /\ (((X_mapcount - 1) < 0) \/ ((X_mapcount - 1) > 2)))))

\* deadlock: a thread not done and no step enabled (a step whose check fails is
\* enabled); TLC's own deadlock check differs, so run TLC with -deadlock
DeadlockFree == \/ (parent_pc = "done" /\ child_pc = "done")
                \/ (parent_pc = "pin")
                \/ (parent_pc = "pin")
                \/ (parent_pc = "fork")
                \/ (parent_pc = "write")
                \/ (parent_pc = "unpin")
                \/ ((child_pc = "exit") /\ forked)
                \/ (X_pins > 0)

============
