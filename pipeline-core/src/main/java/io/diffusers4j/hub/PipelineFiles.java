// Port of the allow-pattern computation of diffusers.pipelines.pipeline_utils.DiffusionPipeline.download
// (variant_compatible_siblings, is_safetensors_compatible, model/non-model folders) for safetensors-only loading.
package io.diffusers4j.hub;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.weights.CheckpointFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which files of a pipeline repo to download: {@code model_index.json}; for each present component, all files of a
 * non-model folder (scheduler, tokenizer, feature_extractor) or, for a model folder (one holding weights), its
 * {@code config.json} and exactly the weights file {@link CheckpointFiles#choose} would open (a sharded index's
 * shards are added by {@link #shards} once the index is read). The variant is chosen per component as diffusers does
 * (a component without variant files loads its default weights, with a warning); a variant that no component has is
 * an error. Pickle-only components fail here, before anything large is downloaded.
 */
public final class PipelineFiles {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineFiles.class);
    private static final List<String> WEIGHT_EXTENSIONS = List.of(".safetensors", ".bin", ".ckpt", ".pt", ".pth",
            ".msgpack", ".onnx");

    private PipelineFiles() {
    }

    private static boolean isCode(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".py") || n.endsWith(".pyc") || n.endsWith(".so") || n.endsWith(".dll")
                || n.endsWith(".dylib") || n.endsWith(".jar") || n.endsWith(".class");
    }

    /**
     * The files to fetch for {@code index} from a repo holding {@code repoFiles} (paths relative to the repo root).
     *
     * @throws IllegalArgumentException when a component folder is missing, holds only pickle weights, lacks the
     *                                  requested variant everywhere, or useSafetensors=false is asked for
     */
    public static List<String> select(ModelIndex index, Collection<String> repoFiles, String variant,
                                      Boolean useSafetensors) {
        Map<String, List<String>> byFolder = groupByFolder(repoFiles);
        Set<String> out = new LinkedHashSet<>();
        out.add(ModelIndex.FILE_NAME);
        List<String> withVariant = new ArrayList<>();
        List<String> withoutVariant = new ArrayList<>();
        for (String comp : index.presentComponentNames()) {
            List<String> names = byFolder.get(comp);
            if (names == null) {
                throw new IllegalArgumentException(index.source() + ": component '" + comp
                        + "' has no folder '" + comp + "/' in the repo");
            }
            if (!isModelFolder(names)) {
                // code shipped in a repo (custom components, trust_remote_code) is never run, so never fetched
                names.stream().filter(n -> !isCode(n)).forEach(n -> out.add(comp + "/" + n));
                continue;
            }
            List<String> flat = names.stream().filter(n -> !n.contains("/")).toList();
            String v = null;
            if (variant != null) {
                if (CheckpointFiles.hasVariantFiles(flat, variant)) {
                    v = variant;
                    withVariant.add(comp);
                } else {
                    withoutVariant.add(comp);
                }
            }
            String base = CheckpointFiles.detectBaseName(flat, index.component(comp).library());
            CheckpointFiles.Choice c = CheckpointFiles.choose(flat, base, v, useSafetensors, comp + "/");
            if (flat.contains("config.json")) {
                out.add(comp + "/config.json");
            }
            out.add(comp + "/" + c.fileName());
        }
        if (variant != null && withVariant.isEmpty()) {
            throw new IllegalArgumentException("no model files of variant '" + variant + "' in the repo (components "
                    + withoutVariant + " have only default weights): load without variant");
        }
        if (!withoutVariant.isEmpty()) {
            LOG.warn("a mixture of {} and default weights will be loaded: {} have no '{}' files", variant,
                    withoutVariant, variant);
        }
        return List.copyOf(out);
    }

    /** Files for a repo holding one model at its root (no model_index.json): config.json and the chosen weights. */
    public static List<String> selectSingleModel(Collection<String> repoFiles, String variant, Boolean useSafetensors) {
        List<String> root = repoFiles.stream().filter(f -> !f.contains("/")).toList();
        String base = CheckpointFiles.detectBaseName(root, null);
        CheckpointFiles.Choice c = CheckpointFiles.choose(root, base, variant, useSafetensors, "repo root");
        List<String> out = new ArrayList<>();
        if (root.contains("config.json")) {
            out.add("config.json");
        }
        out.add(c.fileName());
        return out;
    }

    /** True for weights: a checkpoint file of any format, or a sharded checkpoint's index. */
    public static boolean isWeights(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return isShardIndex(fileName) || WEIGHT_EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    /** True when {@code fileName} is a sharded-checkpoint index ({@code *.safetensors.index*.json}, any variant). */
    public static boolean isShardIndex(String fileName) {
        String name = fileName.substring(fileName.lastIndexOf('/') + 1);
        return name.endsWith(".json") && name.contains(".safetensors.") && name.contains(".index.");
    }

    /**
     * The shard files an index names, as repo paths next to the index ({@code indexPath} is the index's repo path).
     *
     * @throws IllegalArgumentException when the weight_map is missing or names a file outside the index's folder
     */
    public static List<String> shards(String indexPath, JsonObject index) {
        JsonElement wm = index.get("weight_map");
        if (wm == null || !wm.isJsonObject()) {
            throw new IllegalArgumentException(indexPath + ": key 'weight_map' is missing or not an object");
        }
        String folder = indexPath.contains("/") ? indexPath.substring(0, indexPath.lastIndexOf('/') + 1) : "";
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            String shard = v.isJsonPrimitive() && v.getAsJsonPrimitive().isString() ? v.getAsString() : null;
            if (shard == null || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals(".") || shard.equals("..")) {
                throw new IllegalArgumentException(indexPath + ": weight_map entry '" + e.getKey()
                        + "' does not name a plain file in the index's folder: " + v);
            }
            out.add(folder + shard);
        }
        return List.copyOf(out);
    }

    private static boolean isModelFolder(List<String> names) {
        for (String n : names) {
            String lower = n.toLowerCase(Locale.ROOT);
            if (!n.contains("/") && WEIGHT_EXTENSIONS.stream().anyMatch(lower::endsWith)) {
                return true;
            }
        }
        return false;
    }

    /** folder -> names below it (relative to the folder); root files under "". */
    private static Map<String, List<String>> groupByFolder(Collection<String> files) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String f : files) {
            int slash = f.indexOf('/');
            String folder = slash < 0 ? "" : f.substring(0, slash);
            out.computeIfAbsent(folder, k -> new ArrayList<>()).add(slash < 0 ? f : f.substring(slash + 1));
        }
        return out;
    }
}
