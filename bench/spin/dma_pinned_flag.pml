/* Promela twin of specs/dma_pinned_flag.pin (pinmc).
 *
 * State mapping, one to one:
 *   X.refcount (i32)   -> global `int X_refcount`
 *   X.dma_pinned       -> global `bool X_dma_pinned`
 *   X.pins (0..2)      -> global `byte X_pins`
 *   user[i].pc         -> the pc of process user with _pid == i:
 *                         pin -> before the 1st d_step, dma -> before the
 *                         2nd, unpin -> before the 3rd, done -> at `end_done`.
 * Each pinmc step is one d_step. A finished thread does not run off the
 * end of its proctype: it blocks for ever at `end_done: false`. A Promela
 * process that reaches its closing brace can still be deleted (a further
 * transition that changes _nr_pr and the state vector, allowed only for the
 * highest running pid), which would add states pinmc does not have.
 * The processes are `active`: no init process, no startup states.
 *
 * Properties: each d_step asserts no_false_negative at its end (it holds
 * in the initial state); it fails, as pinmc reports, so pan runs with -c0
 * to go on and count every reachable state. An invariant does not cut the
 * search in pinmc either. balanced is the ltl formula at the end (a never
 * claim). range (pins in 0..2) is asserted where pins is assigned; it holds.
 */
#define no_false_negative  (!(X_pins > 0) || X_dma_pinned)

int  X_refcount = 1;
bool X_dma_pinned = false;
byte X_pins = 0;

active [2] proctype user() {
    d_step { X_refcount = X_refcount + 1; X_dma_pinned = true;    /* pin */
             assert(X_pins + 1 <= 2); X_pins = X_pins + 1;
             assert(no_false_negative)};
    d_step { skip;                                                 /* dma */
             assert(no_false_negative)};
    d_step { X_refcount = X_refcount - 1; X_dma_pinned = false;   /* unpin */
             assert(X_pins >= 1); X_pins = X_pins - 1;
             assert(no_false_negative) };
end_done:
    false
}

/* balanced reads the other thread's pc, which Promela allows only outside a
 * proctype: it is a never claim. Its single non-accepting state loops on
 * `balanced`, so the claim's pc stays constant and adds no states. */
ltl balanced { [] (!(user[0]@end_done && user[1]@end_done) || X_refcount == 1) }
