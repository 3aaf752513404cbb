/* Promela twin of specs/pin_bias.pin (pinmc).
 *
 * Constants: PINS, GETS (and BIAS) are #defines; override them with
 *   spin -DGETS=600 -a pin_bias.pml
 *
 * State mapping, one to one:
 *   X.refcount (i32)        -> global `int X_refcount`
 *   X.pins (u32)            -> global `int X_pins`   (0..2*PINS, never wraps)
 *   pinner[i].held (u32)    -> local `held` of pinner process i (0..PINS)
 *   getter[i].held (u32)    -> local `held` of getter process i (0..GETS)
 * Both actors are daemons (no pinmc pc). Each Promela process is one
 * `do` loop whose options are single d_steps that jump back to the loop
 * head, so every process pc is constant and adds no states. The processes
 * are `active`, so there is no init process and no startup state.
 * int is used for u32 variables: no variable here ever leaves 0..2^31-1,
 * so no wrap-around occurs on either side.
 *
 * Invariant no_false_negative is asserted at the end of every d_step that
 * can change it (and holds in the initial state: pins == 0).
 * maybe_dma_pinned(X) = u32(refcount) >= BIAS, i.e. for an i32:
 *   refcount >= BIAS || refcount < 0.
 */
#ifndef BIAS
#define BIAS 1024
#endif
#ifndef PINS
#define PINS 2
#endif
#ifndef GETS
#define GETS 2
#endif

#define maybe_dma_pinned   (X_refcount >= BIAS || X_refcount < 0)
#define no_false_negative  (!(X_pins > 0) || maybe_dma_pinned)

int X_refcount = 1;
int X_pins = 0;

active [2] proctype pinner() {
    int held = 0;
end: do
    :: d_step { held < PINS && X_refcount > 0 ->      /* pin */
                X_refcount = X_refcount + BIAS;
                X_pins = X_pins + 1;
                held = held + 1;
                assert(no_false_negative) }
    :: d_step { held > 0 ->                           /* unpin */
                X_refcount = X_refcount - BIAS;
                X_pins = X_pins - 1;
                held = held - 1;
                assert(no_false_negative) }
    od
}

active [2] proctype getter() {
    int held = 0;
end: do
    :: d_step { held < GETS && X_refcount > 0 ->      /* get */
                X_refcount = X_refcount + 1;
                held = held + 1;
                assert(no_false_negative) }
    :: d_step { held > 0 ->                           /* put */
                X_refcount = X_refcount - 1;
                held = held - 1;
                assert(no_false_negative) }
    od
}
