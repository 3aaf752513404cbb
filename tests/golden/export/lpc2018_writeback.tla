---- MODULE lpc2018_writeback ----
(*
 * TLA+ module of pinmc spec lpc2018_writeback,
 * written by pinmc 0.1.0 (pinmc export --tla); save it as lpc2018_writeback.tla.
 * ext4 BUG: writeback of a page whose buffers were released under a GUP reference
 * Constants: BIAS = 1024
 *
 * Next has one action per pinmc transition (a step of an actor instance, one if/either
 * branch; a choose is \E). An action needs its guard and all its checks passing:
 * a failing assert or range check has no successor in pinmc. Enum members and pcs
 * are strings (a finished thread: "done"); machine integers wrap by WrapU/WrapS.
 * Check with TLC (-deadlock) and this configuration; reachable P is NotReached_P,
 * violated exactly when P is reachable:
 *   SPECIFICATION Spec
 *   INVARIANTS TypeOK Inv_reference_keeps_page Assert_kswapd_reclaim Assert_flusher_writeback DeadlockFree
 * TLC computes with 32-bit integers: 2^32 in WrapU (u32) and larger values overflow
 * there; Apalache has no such limit. This module was not checked by a TLA+ tool
 * when it was written.
 *)

EXTENDS Integers

VARIABLES X_refcount, X_mapped, X_dirty, X_buffers, X_cached, dio_pc

vars == <<X_refcount, X_mapped, X_dirty, X_buffers, X_cached, dio_pc>>

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
    /\ X_mapped \in BOOLEAN
    /\ X_dirty \in BOOLEAN
    /\ X_buffers \in BOOLEAN
    /\ X_cached \in BOOLEAN
    /\ dio_pc \in {"fault", "complete", "done"}

Init ==
    /\ X_refcount = 2
    /\ X_mapped = TRUE
    /\ X_dirty = FALSE
    /\ X_buffers = FALSE
    /\ X_cached = TRUE
    /\ dio_pc = "fault"

\* dio.fault
dio_fault ==
    /\ (dio_pc = "fault")
    /\ X_refcount' = WrapU(((IF ~X_mapped THEN WrapU(((IF ~X_cached THEN 1 ELSE X_refcount) + 1), 32) ELSE (IF ~X_cached THEN 1 ELSE X_refcount)) + 1), 32)
    /\ X_mapped' = (IF ~X_mapped THEN TRUE ELSE X_mapped)
    /\ X_dirty' = TRUE
    /\ X_buffers' = TRUE
    /\ X_cached' = (IF ~X_cached THEN TRUE ELSE X_cached)
    /\ dio_pc' = "complete"

\* dio.complete
dio_complete ==
    /\ (dio_pc = "complete")
    /\ X_refcount' = WrapU((X_refcount - 1), 32)
    /\ X_dirty' = TRUE
    /\ dio_pc' = "done"
    /\ UNCHANGED <<X_mapped, X_buffers, X_cached>>

\* kswapd.reclaim
kswapd_reclaim ==
    /\ X_cached
    /\ ~(X_dirty /\ ~X_buffers)
    /\ X_refcount' = (IF ((IF X_mapped THEN WrapU((X_refcount - 1), 32) ELSE X_refcount) = 1) THEN 0 ELSE (IF X_mapped THEN WrapU((X_refcount - 1), 32) ELSE X_refcount))
    /\ X_mapped' = (IF X_mapped THEN FALSE ELSE X_mapped)
    /\ X_dirty' = (IF X_dirty THEN FALSE ELSE X_dirty)
    /\ X_buffers' = FALSE
    /\ X_cached' = (IF ((IF X_mapped THEN WrapU((X_refcount - 1), 32) ELSE X_refcount) = 1) THEN FALSE ELSE X_cached)
    /\ UNCHANGED <<dio_pc>>

\* flusher.writeback
flusher_writeback ==
    /\ (X_dirty /\ X_cached)
    /\ ~(~X_buffers)
    /\ X_dirty' = FALSE
    /\ UNCHANGED <<X_refcount, X_mapped, X_buffers, X_cached, dio_pc>>

Next ==
    \/ dio_fault
    \/ dio_complete
    \/ kswapd_reclaim
    \/ flusher_writeback

Spec == Init /\ [][Next]_vars

\* ---- properties: check each as a TLC INVARIANT ----

\* invariant reference_keeps_page
Inv_reference_keeps_page == ((dio_pc = "complete") => X_cached)

\* assert kswapd.reclaim: no reachable state enables a step with it failing
Assert_kswapd_reclaim == ~((X_cached /\ (X_dirty /\ ~X_buffers)))

\* assert flusher.writeback: no reachable state enables a step with it failing
Assert_flusher_writeback == ~(((X_dirty /\ X_cached) /\ ~X_buffers))

\* deadlock: a thread not done and no step enabled (a step whose check fails is
\* enabled); TLC's own deadlock check differs, so run TLC with -deadlock
DeadlockFree == \/ (dio_pc = "done")
                \/ (dio_pc = "fault")
                \/ (dio_pc = "complete")
                \/ X_cached
                \/ (X_dirty /\ X_cached)

============
