// Groups a partition's images by shared settings and cuts the groups into micro-batches.
package io.diffusers4j.job.render;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Micro-batches of items that share {@link RenderSettings}: groups keep first-seen order, items keep input order
 * within a group, and each batch holds at most the cap asked for at the time it is cut (so a cap lowered after
 * an out-of-memory applies to the rest of the partition).
 *
 * @param <T> the item type (a work row with its request)
 */
public final class MicroBatcher<T> {
    /** One micro-batch: its settings and its items. */
    public record Batch<T>(RenderSettings settings, List<T> items) {
    }

    private final Map<RenderSettings, ArrayDeque<T>> groups = new LinkedHashMap<>();

    public MicroBatcher(List<T> items, Function<T, RenderSettings> settingsOf) {
        for (T item : items) {
            groups.computeIfAbsent(settingsOf.apply(item), k -> new ArrayDeque<>()).add(item);
        }
    }

    public boolean hasNext() {
        return !groups.isEmpty();
    }

    /** The next batch of at most {@code cap} items. */
    public Batch<T> next(int cap) {
        if (cap < 1) {
            throw new IllegalArgumentException("batch cap must be >= 1, got " + cap);
        }
        Iterator<Map.Entry<RenderSettings, ArrayDeque<T>>> it = groups.entrySet().iterator();
        if (!it.hasNext()) {
            throw new IllegalStateException("no batch left");
        }
        Map.Entry<RenderSettings, ArrayDeque<T>> group = it.next();
        List<T> items = new ArrayList<>(Math.min(cap, group.getValue().size()));
        while (items.size() < cap && !group.getValue().isEmpty()) {
            items.add(group.getValue().poll());
        }
        if (group.getValue().isEmpty()) {
            it.remove();
        }
        return new Batch<>(group.getKey(), items);
    }
}
