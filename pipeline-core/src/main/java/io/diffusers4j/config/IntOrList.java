// diffusers configs accept either an int or a per-block list for keys like attention_head_dim.
package io.diffusers4j.config;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;

import java.util.Arrays;
import java.util.List;

/** An int or a list of ints, kept as written so that it saves back the same way. */
public final class IntOrList extends ScalarOrList<Integer> {
    private IntOrList(List<Integer> values, boolean list) {
        super(values, list);
    }

    public static IntOrList of(int value) {
        return new IntOrList(List.of(value), false);
    }

    public static IntOrList of(int... values) {
        return new IntOrList(Arrays.stream(values).boxed().toList(), true);
    }

    /** The scalar value; throws when this is a list. */
    public int value() {
        return scalar("an int");
    }

    /** The value for block {@code i}: a scalar applies to every block. */
    public int get(int i) {
        return element(i);
    }

    /** Expands to {@code n} per-block values; a list must already have {@code n} entries. */
    public int[] expand(int n, String key) {
        return toArray(expanded(n, key));
    }

    public int[] values() {
        return toArray(elements());
    }

    private static int[] toArray(List<Integer> xs) {
        return xs.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Gson adapter: a JSON number or array of numbers. */
    public static final class Adapter extends ScalarOrList.Adapter<Integer, IntOrList> {
        public Adapter() {
            super(JsonReader::nextInt, (out, v) -> out.value(v.intValue()), IntOrList::new);
        }
    }
}
