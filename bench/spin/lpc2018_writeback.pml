/* Promela twin of specs/lpc2018_writeback.pin (pinmc).
 *
 * State mapping, one to one:
 *   X.refcount (u32)   -> global `int X_refcount` (SPIN's unsigned fields are
 *                         at most 31 bits wide; every decrement asserts the
 *                         result is >= 0, so no u32 wrap is ever reached and
 *                         int and u32 agree on every reachable state)
 *   X.mapped, X.dirty, X.buffers, X.cached -> global bools
 *   dio.pc             -> pc of process dio: fault -> before the 1st d_step,
 *                         complete -> at label `complete`, done -> at
 *                         `end_done` (a finished thread blocks there for
 *                         ever instead of running off its end, where Promela
 *                         could delete the process and add states).
 *   kswapd, flusher    -> daemons: one `do` loop each, every option a single
 *                         d_step back to the loop head, so their pcs are
 *                         constant and add no states.
 * All processes are `active`: no init process, no startup states.
 *
 * Asserts inside a step (kswapd.reclaim, flusher.writeback): in pinmc a
 * transition whose assert fails has no successor. SPIN, run with -c0 to go
 * on past errors, would complete the d_step and store its successor. So
 * each such step is split into two guarded d_steps: the failing case
 * (guard and the assert's condition false in the pre-state) only asserts
 * and leaves the state unchanged (a matched state, nothing stored), the
 * passing case does the step. The assert's condition, X.buffers, is not
 * changed by the statements before it, so it can be evaluated up front.
 *
 * Invariant reference_keeps_page (dio@complete => X.cached) reads dio's pc,
 * which Promela allows only outside proctypes: it is an ltl property; its
 * never claim keeps a constant pc and adds no states.
 */
int  X_refcount = 2;              /* the page cache and the user's mapping */
bool X_mapped  = true;
bool X_dirty   = false;
bool X_buffers = false;
bool X_cached  = true;

active proctype dio() {
    d_step {                                      /* fault */
        if
        :: !X_cached -> X_cached = true; X_refcount = 1
        :: else
        fi;
        if
        :: !X_mapped -> X_mapped = true; X_refcount = X_refcount + 1
        :: else
        fi;
        X_buffers = true;
        X_dirty = true;
        X_refcount = X_refcount + 1               /* grab */
    };
complete:
    d_step {                                      /* complete */
        X_dirty = true;
        X_refcount = X_refcount - 1;              /* release */
        assert(X_refcount >= 0)
    };
end_done:
    false
}

active proctype kswapd() {
end: do
    :: d_step { X_cached && X_dirty && !X_buffers ->      /* reclaim, assert fails */
                assert(false) }                           /* "writepage of a page without buffers" */
    :: d_step { X_cached && !(X_dirty && !X_buffers) ->   /* reclaim */
                if
                :: X_mapped -> X_mapped = false; X_refcount = X_refcount - 1;
                              assert(X_refcount >= 0)
                :: else
                fi;
                if
                :: X_dirty -> X_dirty = false
                :: else
                fi;
                X_buffers = false;                        /* may_release_buffers() is true */
                if
                :: X_refcount == 1 -> X_cached = false; X_refcount = 0
                :: else
                fi }
    od
}

active proctype flusher() {
end: do
    :: d_step { X_dirty && X_cached && !X_buffers ->      /* writeback, assert fails */
                assert(false) }                           /* "ext4_writepage: BUG_ON(!page_has_buffers(page))" */
    :: d_step { X_dirty && X_cached && X_buffers ->       /* writeback */
                X_dirty = false }
    od
}

ltl reference_keeps_page { [] (!(dio@complete) || X_cached) }
