// Port of diffusers' lora_state_dict + load_lora_into_unet / load_lora_into_text_encoder (0.30.3, peft backend).
package io.diffusers4j.loaders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.weights.SafetensorsFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LoRA safetensors file as diffusers reads it: Kohya / AUTOMATIC1111 keys converted first
 * ({@link KohyaLoraConversion}), the {@code "lora"} format check, the split between the UNet (keys {@code unet.*},
 * or every key of a state dict without them: the older attention-processor files) and the text encoders
 * ({@code text_encoder.*}, {@code text_encoder_2.*}), each renamed to peft's {@code <module>.lora_A.weight} /
 * {@code lora_B.weight} ({@link LoraKeyMappings}), and peft's rank and alpha per module as diffusers'
 * {@code get_peft_kwargs} builds the LoRA config:
 * <ul>
 *   <li>without alphas (diffusers / peft files) every module's alpha is the first module's rank;</li>
 *   <li>with alphas (Kohya files) the most common alpha, and each module whose alpha differs its own, except the
 *       text encoders' attention projections, whose pattern key diffusers 0.30.3 builds as {@code ...self_attn}
 *       (it never matches a projection: they take the most common alpha);</li>
 *   <li>scaling = alpha / rank.</li>
 * </ul>
 * Keys whose module is not a layer of the model are diffusers' "unexpected keys" (a warning); a component none of
 * whose keys match is peft's "Target modules ... not found" error.
 */
final class LoraStateDict {
    private static final Pattern TE_ATTENTION = Pattern.compile("text_model\\.encoder\\.layers\\.(\\d+)\\.self_attn");
    private static final Pattern TE_MLP = Pattern.compile("text_model\\.encoder\\.layers\\.(\\d+)\\.mlp");

    /** The file's tensors under diffusers' names (Kohya files converted) and the Kohya alphas (null otherwise). */
    record Parsed(Map<String, NDArray> stateDict, Map<String, Double> networkAlphas) {
    }

    /** One component's adapter: weights by module path (still in the reading manager), the unexpected keys. */
    record ComponentWeights(Map<String, LoraLayers.ModuleWeights> modules, List<String> unexpectedKeys) {
    }

    private LoraStateDict() {
    }

    /**
     * Reads every tensor of {@code file} as float32 into {@code manager} (keys in sorted order, as the safetensors
     * library lists them), converts Kohya files (SGM block names first when {@code sgmLayersPerBlock} is given:
     * SDXL pipelines) and checks diffusers' format rule: every key contains "lora".
     */
    static Parsed read(Path file, NDManager manager, Integer sgmLayersPerBlock) {
        String where = file.toString();
        Map<String, NDArray> raw = new LinkedHashMap<>();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (String key : new TreeSet<>(st.keys())) {
                if (key.contains("dora_scale") || key.contains("lora_magnitude_vector")) {
                    throw new IllegalArgumentException(where + ": key " + key + " belongs to a DoRA adapter; DoRA "
                            + "is not supported (LoRA only)");
                }
                NDArray t = st.load(key, manager, DataType.FLOAT32);
                // an owned copy: the mapping may go away with the file
                NDArray copy = t.duplicate();
                t.close();
                raw.put(key, copy);
            }
        }
        if (raw.isEmpty()) {
            throw new IllegalArgumentException(where + ": the file holds no tensors");
        }
        Map<String, Double> alphas = null;
        Map<String, NDArray> stateDict = raw;
        if (KohyaLoraConversion.isKohya(raw.keySet())) {
            if (sgmLayersPerBlock != null) {
                stateDict = KohyaLoraConversion.mapSgmBlocks(stateDict, sgmLayersPerBlock, where);
            }
            KohyaLoraConversion.Converted<NDArray> c = KohyaLoraConversion.toDiffusers(stateDict,
                    t -> alphaValue(t, where), where);
            stateDict = c.stateDict();
            alphas = c.networkAlphas();
        }
        List<String> notLora = new ArrayList<>();
        for (String k : stateDict.keySet()) {
            if (!k.contains("lora")) {
                notLora.add(k);
            }
        }
        if (!notLora.isEmpty()) {
            throw new IllegalArgumentException(where + ": Invalid LoRA checkpoint (keys without \"lora\": "
                    + String.join(", ", notLora.subList(0, Math.min(20, notLora.size())))
                    + (notLora.size() > 20 ? ", ... (" + notLora.size() + " keys)" : "") + ")");
        }
        return new Parsed(stateDict, alphas);
    }

    private static double alphaValue(NDArray t, String where) {
        if (t.getShape().size() != 1) {
            throw new IllegalArgumentException(where + ": a Kohya alpha must be a single number, got shape "
                    + t.getShape());
        }
        return t.toType(DataType.FLOAT64, false).toDoubleArray()[0];
    }

    /**
     * The UNet's part ({@code load_lora_into_unet} / {@code _process_lora}): keys starting with "unet" with that
     * prefix removed, or the whole state dict when none does; nothing when every key is a text encoder's.
     */
    static Map<String, NDArray> unetPart(Map<String, NDArray> stateDict) {
        if (stateDict.keySet().stream().allMatch(k -> k.startsWith("text_encoder"))) {
            return Map.of();
        }
        Map<String, NDArray> unet = new LinkedHashMap<>();
        stateDict.forEach((k, v) -> {
            if (k.startsWith("unet")) {
                unet.put(k.replace("unet.", ""), v);
            }
        });
        return unet.isEmpty() ? stateDict : unet;
    }

    /** A text encoder's part: keys whose first dotted part is {@code prefix}, without it. */
    static <T> Map<String, T> prefixed(Map<String, T> map, String prefix) {
        Map<String, T> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.split("\\.", -1)[0].equals(prefix)) {
                out.put(k.replace(prefix + ".", ""), v);
            }
        });
        return out;
    }

    /** The UNet alphas: keys starting with "unet", without "unet.". */
    static Map<String, Double> unetAlphas(Map<String, Double> alphas) {
        if (alphas == null) {
            return null;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        alphas.forEach((k, v) -> {
            if (k.startsWith("unet")) {
                out.put(k.replace("unet.", ""), v);
            }
        });
        return out;
    }

    /** The UNet's adapter weights: {@code convert_unet_state_dict_to_peft}, then peft's config and matching. */
    static ComponentWeights unet(Map<String, NDArray> part, Map<String, Double> alphas, LoraLayers layers,
                                 String where) {
        Map<String, NDArray> peft = LoraKeyMappings.unetToPeft(part);
        Map<String, Double> peftAlphas = alphas == null ? null : LoraKeyMappings.unetToPeft(alphas);
        Map<String, Integer> rankDict = new LinkedHashMap<>();
        peft.forEach((k, v) -> {
            if (k.contains("lora_B")) {
                rankDict.put(k, (int) v.getShape().get(1));
            }
        });
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        double defaultAlpha = defaultAlpha(rankDict, peftAlphas, alphaPattern, true);
        return match(peft, layers, defaultAlpha, alphaPattern, where);
    }

    /**
     * A text encoder's adapter weights: {@code convert_state_dict_to_diffusers} then {@code _to_peft}, the rank dict
     * over the encoder's attention projections (out, q, k, v per layer) then its MLPs (fc1, fc2 per layer).
     */
    static ComponentWeights textEncoder(Map<String, NDArray> part, Map<String, Double> alphas, LoraLayers layers,
                                        String where) {
        Map<String, NDArray> peft = LoraKeyMappings.toPeft(LoraKeyMappings.toDiffusers(part, where), where);
        Map<String, Integer> rankDict = new LinkedHashMap<>();
        for (String name : moduleNames(layers.targets().keySet(), TE_ATTENTION)) {
            for (String module : List.of("out_proj", "q_proj", "k_proj", "v_proj")) {
                putRank(rankDict, peft, name + "." + module + ".lora_B.weight");
            }
        }
        for (String name : moduleNames(layers.targets().keySet(), TE_MLP)) {
            for (String module : List.of("fc1", "fc2")) {
                putRank(rankDict, peft, name + "." + module + ".lora_B.weight");
            }
        }
        if (rankDict.isEmpty()) {
            peft.forEach((k, v) -> {
                if (k.contains("lora_B")) {
                    rankDict.put(k, (int) v.getShape().get(1));
                }
            });
        }
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        double defaultAlpha = defaultAlpha(rankDict, alphas, alphaPattern, false);
        return match(peft, layers, defaultAlpha, alphaPattern, where);
    }

    private static void putRank(Map<String, Integer> rankDict, Map<String, NDArray> peft, String key) {
        NDArray up = peft.get(key);
        if (up != null) {
            rankDict.put(key, (int) up.getShape().get(1));
        }
    }

    /** The module names {@code text_model.encoder.layers.<i>.self_attn} (or {@code .mlp}) present, by layer. */
    private static List<String> moduleNames(Set<String> targets, Pattern pattern) {
        Map<Integer, String> byLayer = new TreeMap<>();
        for (String t : targets) {
            int dot = t.lastIndexOf('.');
            if (dot < 0) {
                continue;
            }
            Matcher m = pattern.matcher(t.substring(0, dot));
            if (m.matches()) {
                byLayer.put(Integer.parseInt(m.group(1)), t.substring(0, dot));
            }
        }
        return new ArrayList<>(byLayer.values());
    }

    /**
     * {@code get_peft_kwargs}' {@code lora_alpha}: the first rank without alphas; with alphas the most common one
     * (the first seen among equals), and {@code alphaPattern} filled with the modules whose alpha differs, keyed as
     * diffusers keys them (UNet: the name before {@code .lora_A.}; text encoders: the name before {@code .down.}
     * without its last part).
     */
    static double defaultAlpha(Map<String, Integer> rankDict, Map<String, Double> alphas,
                               Map<String, Double> alphaPattern, boolean unet) {
        double alpha = rankDict.isEmpty() ? 1.0 : rankDict.values().iterator().next();
        if (alphas == null || alphas.isEmpty()) {
            return alpha;
        }
        Map<Double, Integer> counts = new LinkedHashMap<>();
        for (double a : alphas.values()) {
            counts.merge(a, 1, Integer::sum);
        }
        if (counts.size() == 1) {
            return counts.keySet().iterator().next();
        }
        double common = Double.NaN;
        int best = -1;
        for (Map.Entry<Double, Integer> e : counts.entrySet()) {
            if (e.getValue() > best) {
                best = e.getValue();
                common = e.getKey();
            }
        }
        for (Map.Entry<String, Double> e : alphas.entrySet()) {
            if (e.getValue() != common) {
                alphaPattern.put(patternKey(e.getKey(), unet), e.getValue());
            }
        }
        return common;
    }

    private static String patternKey(String alphaKey, boolean unet) {
        if (unet) {
            int cut = alphaKey.indexOf(".lora_A.");
            return (cut < 0 ? alphaKey : alphaKey.substring(0, cut)).replace(".alpha", "");
        }
        int cut = alphaKey.indexOf(".down.");
        String head = cut < 0 ? alphaKey : alphaKey.substring(0, cut);
        int dot = head.lastIndexOf('.');
        return dot < 0 ? "" : head.substring(0, dot);
    }

    /**
     * peft's injection and {@code set_peft_model_state_dict}: the modules named by the keys
     * ({@code name.split(".lora")[0]}) that are layers of the model get their lora_A / lora_B; the other keys are
     * unexpected. Rank = the up weight's second dimension; alpha = the pattern's or the default.
     */
    private static ComponentWeights match(Map<String, NDArray> peft, LoraLayers layers, double defaultAlpha,
                                          Map<String, Double> alphaPattern, String where) {
        Map<String, NDArray[]> byModule = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : peft.entrySet()) {
            String key = e.getKey();
            int cut = key.indexOf(".lora");
            String module = cut < 0 ? key : key.substring(0, cut);
            String rest = cut < 0 ? "" : key.substring(cut);
            boolean known = layers.targets().containsKey(module);
            if (!known || !(rest.equals(".lora_A.weight") || rest.equals(".lora_B.weight"))) {
                unexpected.add(key);
                continue;
            }
            byModule.computeIfAbsent(module, m -> new NDArray[2])[rest.equals(".lora_A.weight") ? 0 : 1] =
                    e.getValue();
        }
        if (byModule.isEmpty() && !peft.isEmpty()) {
            Set<String> modules = new TreeSet<>();
            for (String k : peft.keySet()) {
                int cut = k.indexOf(".lora");
                modules.add(cut < 0 ? k : k.substring(0, cut));
            }
            throw new IllegalArgumentException(where + ": Target modules " + modules + " not found in the base "
                    + "model (" + layers.component() + "). Please check the target modules and try again.");
        }
        Map<String, LoraLayers.ModuleWeights> modules = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray[]> e : byModule.entrySet()) {
            NDArray down = e.getValue()[0];
            NDArray up = e.getValue()[1];
            if (down == null || up == null) {
                throw new IllegalArgumentException(where + ": module " + e.getKey() + " has "
                        + (down == null ? "lora_B (up) but no lora_A (down)" : "lora_A (down) but no lora_B (up)"));
            }
            long rank = up.getShape().get(1);
            if (down.getShape().get(0) != rank) {
                throw new IllegalArgumentException(where + ": module " + e.getKey() + ": lora_A " + down.getShape()
                        + " and lora_B " + up.getShape() + " have different ranks");
            }
            double alpha = alphaPattern.getOrDefault(e.getKey(), defaultAlpha);
            modules.put(e.getKey(), new LoraLayers.ModuleWeights(down, up, (int) rank, alpha));
        }
        return new ComponentWeights(modules, unexpected);
    }
}
