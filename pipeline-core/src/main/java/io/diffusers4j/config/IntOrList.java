// diffusers configs accept either an int or a per-block list for keys like attention_head_dim.
package io.diffusers4j.config;

import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** An int or a list of ints, kept as written so that it saves back the same way. */
public final class IntOrList {
    private final int[] values;
    private final boolean list;

    private IntOrList(int[] values, boolean list) {
        this.values = values;
        this.list = list;
    }

    public static IntOrList of(int value) {
        return new IntOrList(new int[] {value}, false);
    }

    public static IntOrList of(int... values) {
        return new IntOrList(values.clone(), true);
    }

    public boolean isList() {
        return list;
    }

    public int size() {
        return values.length;
    }

    /** The scalar value; throws when this is a list. */
    public int value() {
        if (list) {
            throw new IllegalStateException("expected an int, got a list " + this);
        }
        return values[0];
    }

    /** The value for block {@code i}: a scalar applies to every block. */
    public int get(int i) {
        return list ? values[i] : values[0];
    }

    /** Expands to {@code n} per-block values; a list must already have {@code n} entries. */
    public int[] expand(int n, String key) {
        if (!list) {
            int[] out = new int[n];
            Arrays.fill(out, values[0]);
            return out;
        }
        if (values.length != n) {
            throw new IllegalArgumentException(key + " has " + values.length + " entries " + this
                    + " but the model has " + n + " blocks");
        }
        return values.clone();
    }

    public int[] values() {
        return values.clone();
    }

    @Override
    public String toString() {
        return list ? Arrays.toString(values) : Integer.toString(values[0]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IntOrList other && other.list == list && Arrays.equals(other.values, values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values) * 31 + (list ? 1 : 0);
    }

    /** Gson adapter: a JSON number or array of numbers. */
    public static final class Adapter extends TypeAdapter<IntOrList> {
        @Override
        public void write(JsonWriter out, IntOrList v) throws IOException {
            if (v == null) {
                out.nullValue();
            } else if (v.list) {
                out.beginArray();
                for (int x : v.values) {
                    out.value(x);
                }
                out.endArray();
            } else {
                out.value(v.values[0]);
            }
        }

        @Override
        public IntOrList read(JsonReader in) throws IOException {
            JsonToken t = in.peek();
            if (t == JsonToken.NULL) {
                in.nextNull();
                return null;
            }
            if (t == JsonToken.BEGIN_ARRAY) {
                List<Integer> xs = new ArrayList<>();
                in.beginArray();
                while (in.hasNext()) {
                    xs.add(in.nextInt());
                }
                in.endArray();
                return new IntOrList(xs.stream().mapToInt(Integer::intValue).toArray(), true);
            }
            return new IntOrList(new int[] {in.nextInt()}, false);
        }
    }
}
