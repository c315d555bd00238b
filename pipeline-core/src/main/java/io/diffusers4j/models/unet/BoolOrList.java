// diffusers configs accept a bool or a per-block list of bools for only_cross_attention.
package io.diffusers4j.models.unet;

import com.google.gson.TypeAdapter;
import com.google.gson.annotations.JsonAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A boolean or a list of booleans, kept as written so that it saves back the same way. */
@JsonAdapter(BoolOrList.Adapter.class)
public final class BoolOrList {
    private final boolean[] values;
    private final boolean list;

    private BoolOrList(boolean[] values, boolean list) {
        this.values = values;
        this.list = list;
    }

    public static BoolOrList of(boolean value) {
        return new BoolOrList(new boolean[] {value}, false);
    }

    public static BoolOrList of(boolean... values) {
        return new BoolOrList(values.clone(), true);
    }

    public boolean isList() {
        return list;
    }

    public int size() {
        return values.length;
    }

    /** The scalar value; throws when this is a list. */
    public boolean value() {
        if (list) {
            throw new IllegalStateException("expected a bool, got a list " + this);
        }
        return values[0];
    }

    /** Expands to {@code n} per-block values; a list must already have {@code n} entries. */
    public boolean[] expand(int n, String key) {
        if (!list) {
            boolean[] out = new boolean[n];
            Arrays.fill(out, values[0]);
            return out;
        }
        if (values.length != n) {
            throw new IllegalArgumentException(key + " has " + values.length + " entries " + this
                    + " but the model has " + n + " blocks");
        }
        return values.clone();
    }

    @Override
    public String toString() {
        return list ? Arrays.toString(values) : Boolean.toString(values[0]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BoolOrList other && other.list == list && Arrays.equals(other.values, values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values) * 31 + (list ? 1 : 0);
    }

    /** Gson adapter: a JSON boolean or array of booleans. */
    public static final class Adapter extends TypeAdapter<BoolOrList> {
        @Override
        public void write(JsonWriter out, BoolOrList v) throws IOException {
            if (v == null) {
                out.nullValue();
            } else if (v.list) {
                out.beginArray();
                for (boolean x : v.values) {
                    out.value(x);
                }
                out.endArray();
            } else {
                out.value(v.values[0]);
            }
        }

        @Override
        public BoolOrList read(JsonReader in) throws IOException {
            JsonToken t = in.peek();
            if (t == JsonToken.NULL) {
                in.nextNull();
                return null;
            }
            if (t == JsonToken.BEGIN_ARRAY) {
                List<Boolean> xs = new ArrayList<>();
                in.beginArray();
                while (in.hasNext()) {
                    xs.add(in.nextBoolean());
                }
                in.endArray();
                boolean[] v = new boolean[xs.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = xs.get(i);
                }
                return new BoolOrList(v, true);
            }
            return new BoolOrList(new boolean[] {in.nextBoolean()}, false);
        }
    }
}
