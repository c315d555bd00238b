// Native-memory discipline of a forward pass: temporaries live in a sub-manager closed when the call returns.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Runs a computation in a fresh sub-manager: the inputs are temp-attached to it (they go back to their own managers
 * afterwards), every intermediate result lands in it (DJL puts a result in the manager of its first operand) and is
 * freed when it closes, and only the returned array is attached to the result manager. Nesting it per block bounds
 * the peak memory of a forward to one block's temporaries plus the live activations.
 */
public final class ForwardScope {
    private ForwardScope() {
    }

    /** {@code body(x)} with its temporaries freed; the result goes to {@code x}'s manager. */
    public static NDArray run(NDArray x, UnaryOperator<NDArray> body) {
        return run(x.getManager(), m -> body.apply(x), x);
    }

    /**
     * {@code body(sub)} with {@code inputs} (nulls and repeats ignored) temp-attached to the sub-manager {@code sub};
     * the returned array is attached to {@code resultManager}, everything else created inside is closed.
     */
    public static NDArray run(NDManager resultManager, Function<NDManager, NDArray> body, NDArray... inputs) {
        try (NDManager sub = resultManager.newSubManager()) {
            Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (NDArray in : inputs) {
                if (in != null && seen.add(in)) {
                    in.tempAttach(sub);
                }
            }
            NDArray out = body.apply(sub);
            if (seen.contains(out)) {
                // an input passed through unchanged: hand back a copy so that it can outlive the scope on its own
                out = out.duplicate();
            }
            out.attach(resultManager);
            return out;
        }
    }

    /**
     * {@link #run(NDManager, Function, NDArray...)} for a computation with several results (a block returning its
     * hidden and encoder hidden states): every array of the returned list is attached to {@code resultManager}
     * (null entries stay null).
     */
    public static NDList runAll(NDManager resultManager, Function<NDManager, NDList> body, NDArray... inputs) {
        try (NDManager sub = resultManager.newSubManager()) {
            Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (NDArray in : inputs) {
                if (in != null && seen.add(in)) {
                    in.tempAttach(sub);
                }
            }
            NDList outs = body.apply(sub);
            NDList kept = new NDList(outs.size());
            for (NDArray out : outs) {
                if (out == null) {     // a result the computation does not produce (kept as a null entry)
                    kept.add(null);
                    continue;
                }
                NDArray o = seen.contains(out) ? out.duplicate() : out;
                o.attach(resultManager);
                kept.add(o);
            }
            return kept;
        }
    }

    /** Closes {@code old} (a temporary the caller owns) unless it is {@code next}, and returns {@code next}. */
    public static NDArray replace(NDArray old, NDArray next) {
        if (old != next) {
            old.close();
        }
        return next;
    }

    /**
     * Like {@link #replace(NDArray, NDArray)} in a chain that starts from the caller's {@code input}: {@code old} is
     * closed unless it is that input (which stays the caller's) or {@code next}.
     */
    public static NDArray replace(NDArray old, NDArray next, NDArray input) {
        return old == input ? next : replace(old, next);
    }
}
