// The sweep: parameter values every prompt is rendered with, one combination each (an X/Y/Z plot over a dataset).
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.List;

/**
 * Axes such as {@code guidance_scale: [5.0, 7.5]} or {@code size: ["512x512", "768x512"]}; every prompt is
 * combined with every point of their product, the last axis varying fastest. A point's identity (part of the id)
 * is each axis's canonical value text ({@code guidance_scale=7.5}), not its position in the list.
 */
final class Sweep implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One axis: its key and its values, each a {@link PlanParams} setting only this axis, and its canonical text. */
    record Axis(String key, List<PlanParams> values, List<String> canonical) implements Serializable {
    }

    static final Sweep NONE = new Sweep(List.of());

    final List<Axis> axes;
    private final long points;

    Sweep(List<Axis> axes) {
        this.axes = List.copyOf(axes);
        long n = 1;
        for (Axis a : axes) {
            n = Counts.multiply(n, a.values().size());
        }
        this.points = n;
    }

    /** Sweep points (1 without a sweep). */
    long points() {
        return points;
    }

    /** Point {@code index}: its parameters, and its identity appended to {@code path}. */
    PlanParams point(long index, StringBuilder path) {
        int n = axes.size();
        int[] d = new int[n];
        long rest = index;
        for (int i = n - 1; i >= 0; i--) {
            int radix = axes.get(i).values().size();
            d[i] = (int) (rest % radix);
            rest /= radix;
        }
        PlanParams p = PlanParams.NONE;
        for (int i = 0; i < n; i++) {
            Axis a = axes.get(i);
            p = p.over(a.values().get(d[i]));
            path.append(a.key()).append('=').append(a.canonical().get(d[i])).append(';');
        }
        return p;
    }
}
