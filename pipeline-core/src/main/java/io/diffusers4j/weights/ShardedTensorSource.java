// Port of sharded-checkpoint loading (diffusers.utils.hub_utils._get_checkpoint_shard_files and transformers'
// load_sharded_checkpoint): a *.safetensors.index.json weight_map over several safetensors shard files.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.ModelFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split into shards by an index file ({@code {"metadata": {...}, "weight_map": {key: shard}}}).
 * Opening validates everything up front: every shard named by the index exists and is a valid safetensors file,
 * every key sits in the shard the index names, no key is stored in two shards, and no shard holds a key the index
 * does not list. Errors name the index file and the key.
 */
public final class ShardedTensorSource implements TensorSource {
    /** Index files above this size are refused (a 70B-parameter LLM's index is ~2 MB). */
    public static final long MAX_INDEX_BYTES = 64L << 20;

    private final Path indexFile;
    private final JsonObject metadata;
    private final Map<String, SafetensorsFile> owner;
    private final List<SafetensorsFile> shards;

    private ShardedTensorSource(Path indexFile, JsonObject metadata, Map<String, SafetensorsFile> owner,
                                List<SafetensorsFile> shards) {
        this.indexFile = indexFile;
        this.metadata = metadata;
        this.owner = owner;
        this.shards = shards;
    }

    /** Opens the index and every shard it names (shard names are relative to the index's folder). */
    public static ShardedTensorSource open(Path indexFile) {
        JsonObject index = readIndex(indexFile);
        JsonElement wm = index.get("weight_map");
        if (wm == null || !wm.isJsonObject()) {
            throw new IllegalArgumentException(indexFile + ": key 'weight_map' is missing or not an object");
        }
        JsonElement meta = index.get("metadata");
        if (meta != null && !meta.isJsonNull() && !meta.isJsonObject()) {
            throw new IllegalArgumentException(indexFile + ": key 'metadata' is not an object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException(indexFile + ": weight_map entry '" + e.getKey()
                        + "' is not a file name but " + v);
            }
            String shard = v.getAsString();
            if (!isPlainFileName(shard)) {
                throw new IllegalArgumentException(indexFile + ": weight_map entry '" + e.getKey() + "' names '"
                        + shard + "', which is not a plain file name in the index's folder");
            }
            weightMap.put(e.getKey(), shard);
        }
        if (weightMap.isEmpty()) {
            throw new IllegalArgumentException(indexFile + ": weight_map is empty");
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> opened = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shard = e.getValue();
                if (!opened.containsKey(shard)) {
                    Path file = dir.resolve(shard);
                    if (!Files.isRegularFile(file)) {
                        throw new IllegalArgumentException(indexFile + ": key '" + e.getKey() + "' is mapped to shard "
                                + shard + ", which does not exist in " + dir);
                    }
                    opened.put(shard, SafetensorsFile.open(file));
                }
            }
            Map<String, Set<String>> shardKeys = new LinkedHashMap<>();
            opened.forEach((name, f) -> shardKeys.put(name, f.keys()));
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile f = opened.get(e.getValue());
                if (!shardKeys.get(e.getValue()).contains(e.getKey())) {
                    throw new IllegalArgumentException(indexFile + ": key '" + e.getKey() + "' is mapped to shard "
                            + e.getValue() + ", which does not contain it");
                }
                owner.put(e.getKey(), f);
            }
            for (Map.Entry<String, SafetensorsFile> s : opened.entrySet()) {
                for (String key : shardKeys.get(s.getKey())) {
                    String mapped = weightMap.get(key);
                    if (mapped == null) {
                        throw new IllegalArgumentException(indexFile + ": shard " + s.getKey() + " holds key '" + key
                                + "', which the weight_map does not list");
                    }
                    if (!mapped.equals(s.getKey())) {
                        throw new IllegalArgumentException(indexFile + ": key '" + key + "' is stored in two shards, "
                                + mapped + " and " + s.getKey());
                    }
                }
            }
            JsonObject metadata = meta != null && meta.isJsonObject() ? meta.getAsJsonObject() : new JsonObject();
            return new ShardedTensorSource(indexFile, metadata, owner, List.copyOf(opened.values()));
        } catch (RuntimeException e) {
            opened.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static JsonObject readIndex(Path indexFile) {
        return ConfigBase.parseJsonObject(ModelFiles.readString(indexFile, MAX_INDEX_BYTES, "index file"),
                indexFile.toString());
    }

    static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\\') < 0 && name.indexOf('\0') < 0 && name.indexOf(':') < 0;
    }

    public Path indexFile() {
        return indexFile;
    }

    /** The index's {@code metadata} object (for example {@code total_size}); empty when absent. */
    public JsonObject metadata() {
        return metadata.deepCopy();
    }

    /** The shard files, in the order the weight_map first names them. */
    public List<Path> shardFiles() {
        List<Path> out = new ArrayList<>();
        for (SafetensorsFile s : shards) {
            out.add(s.file());
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public Set<String> keys() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(owner.keySet()));
    }

    @Override
    public TensorInfo info(String key) {
        return shardOf(key).info(key);
    }

    @Override
    public NDArray load(String key, NDManager manager, DataType dtype) {
        return shardOf(key).load(key, manager, dtype);
    }

    private SafetensorsFile shardOf(String key) {
        SafetensorsFile f = owner.get(key);
        if (f == null) {
            throw new IllegalArgumentException(indexFile + ": no tensor named '" + key + "'");
        }
        return f;
    }

    @Override
    public String describe() {
        return indexFile.toString();
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
