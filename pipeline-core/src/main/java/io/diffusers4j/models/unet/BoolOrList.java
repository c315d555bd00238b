// diffusers configs accept a bool or a per-block list of bools for only_cross_attention.
package io.diffusers4j.models.unet;

import com.google.gson.annotations.JsonAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import io.diffusers4j.config.ScalarOrList;

import java.util.ArrayList;
import java.util.List;

/** A boolean or a list of booleans, kept as written so that it saves back the same way. */
@JsonAdapter(BoolOrList.Adapter.class)
public final class BoolOrList extends ScalarOrList<Boolean> {
    private BoolOrList(List<Boolean> values, boolean list) {
        super(values, list);
    }

    public static BoolOrList of(boolean value) {
        return new BoolOrList(List.of(value), false);
    }

    public static BoolOrList of(boolean... values) {
        List<Boolean> xs = new ArrayList<>(values.length);
        for (boolean v : values) {
            xs.add(v);
        }
        return new BoolOrList(xs, true);
    }

    /** The scalar value; throws when this is a list. */
    public boolean value() {
        return scalar("a bool");
    }

    /** Expands to {@code n} per-block values; a list must already have {@code n} entries. */
    public boolean[] expand(int n, String key) {
        List<Boolean> xs = expanded(n, key);
        boolean[] out = new boolean[xs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = xs.get(i);
        }
        return out;
    }

    /** Gson adapter: a JSON boolean or array of booleans. */
    public static final class Adapter extends ScalarOrList.Adapter<Boolean, BoolOrList> {
        public Adapter() {
            super(JsonReader::nextBoolean, (out, v) -> out.value(v.booleanValue()), BoolOrList::new);
        }
    }
}
