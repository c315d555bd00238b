// Port of diffusers.loaders.lora_conversion_utils (0.30.3): Kohya / AUTOMATIC1111 LoRA keys to diffusers' names.
package io.diffusers4j.loaders;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * Kohya's {@code lora_unet_<module with _>.lora_down.weight} / {@code .lora_up.weight} / {@code .alpha} keys (and
 * {@code lora_te_}, {@code lora_te1_}, {@code lora_te2_} for the text encoders) renamed to diffusers' names
 * ({@code unet.<module>.lora.down.weight}, {@code text_encoder.<module>.to_q_lora.down.weight}, ...) plus the
 * network alphas by module, exactly as diffusers does it, quirks included: a module name the renaming does not
 * produce correctly ({@code conv_in}, {@code time_embedding}) later fails to match a layer and is reported as an
 * unexpected key, as diffusers warns and ignores it. {@link #mapSgmBlocks} first maps the SGM block names
 * ({@code input_blocks_4_1}) of SDXL LoRAs to diffusers' blocks.
 */
final class KohyaLoraConversion {
    static final List<String> PREFIXES = List.of("lora_te_", "lora_unet_", "lora_te1_", "lora_te2_");

    private KohyaLoraConversion() {
    }

    /** The converted state dict (unet, text_encoder, text_encoder_2 keys) and the network alphas. */
    record Converted<T>(Map<String, T> stateDict, Map<String, Double> networkAlphas) {
    }

    /** True when every key has a Kohya prefix (diffusers' test in {@code lora_state_dict}). */
    static boolean isKohya(Iterable<String> keys) {
        boolean any = false;
        for (String k : keys) {
            any = true;
            if (PREFIXES.stream().noneMatch(k::startsWith)) {
                return false;
            }
        }
        return any;
    }

    /**
     * {@code _convert_non_diffusers_lora_to_diffusers}: every {@code .lora_down.weight} with its {@code .lora_up.weight}
     * and optional {@code .alpha}; {@code alphaOf} reads an alpha tensor's value. Keys left over fail with diffusers'
     * message.
     */
    static <T> Converted<T> toDiffusers(Map<String, T> input, ToDoubleFunction<T> alphaOf,
                                        String where) {
        Map<String, T> stateDict = new LinkedHashMap<>(input);
        Map<String, T> unet = new LinkedHashMap<>();
        Map<String, T> te = new LinkedHashMap<>();
        Map<String, T> te2 = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (String key : new ArrayList<>(stateDict.keySet())) {
            if (!key.endsWith("lora_down.weight")) {
                continue;
            }
            String loraName = key.split("\\.", -1)[0];
            String upKey = loraName + ".lora_up.weight";
            String alphaKey = loraName + ".alpha";
            if (!stateDict.containsKey(upKey)) {
                throw new IllegalArgumentException(where + ": " + key + " has no " + upKey);
            }
            String diffusersName;
            if (loraName.startsWith("lora_unet_")) {
                diffusersName = unetKey(key);
                unet.put(diffusersName, stateDict.remove(key));
                unet.put(diffusersName.replace(".down.", ".up."), stateDict.remove(upKey));
            } else if (loraName.startsWith("lora_te_") || loraName.startsWith("lora_te1_")
                    || loraName.startsWith("lora_te2_")) {
                diffusersName = textEncoderKey(key, loraName);
                Map<String, T> target = loraName.startsWith("lora_te2_") ? te2 : te;
                target.put(diffusersName, stateDict.remove(key));
                target.put(diffusersName.replace(".down.", ".up."), stateDict.remove(upKey));
            } else {
                continue;
            }
            if (stateDict.containsKey(alphaKey)) {
                double alpha = alphaOf.applyAsDouble(stateDict.remove(alphaKey));
                alphas.put(alphaName(alphaKey, diffusersName), alpha);
            }
        }
        if (!stateDict.isEmpty()) {
            throw new IllegalArgumentException(where + ": The following keys have not been correctly renamed: "
                    + String.join(", ", stateDict.keySet()) + " (supported Kohya keys: <module>.lora_down.weight, "
                    + ".lora_up.weight and .alpha; LyCORIS LoHa/LoKr/DoRA keys are not)");
        }
        Map<String, T> out = new LinkedHashMap<>();
        unet.forEach((k, v) -> out.put("unet." + k, v));
        te.forEach((k, v) -> out.put("text_encoder." + k, v));
        te2.forEach((k, v) -> out.put("text_encoder_2." + k, v));
        return new Converted<>(out, alphas);
    }

    /** {@code _convert_unet_lora_key}. */
    static String unetKey(String key) {
        String name = key.replace("lora_unet_", "").replace("_", ".");
        name = name.replace("input.blocks", "down_blocks").replace("down.blocks", "down_blocks")
                .replace("middle.block", "mid_block").replace("mid.block", "mid_block")
                .replace("output.blocks", "up_blocks").replace("up.blocks", "up_blocks")
                .replace("transformer.blocks", "transformer_blocks")
                .replace("to.q.lora", "to_q_lora").replace("to.k.lora", "to_k_lora")
                .replace("to.v.lora", "to_v_lora").replace("to.out.0.lora", "to_out_lora")
                .replace("proj.in", "proj_in").replace("proj.out", "proj_out")
                .replace("emb.layers", "time_emb_proj");
        // SDXL-specific conversions
        if (name.contains("emb") && !name.contains("time.emb.proj")) {
            name = name.replaceFirst("\\.\\d+(?=\\D*$)", "");
        }
        if (name.contains(".in.")) {
            name = name.replace("in.layers.2", "conv1");
        }
        if (name.contains(".out.")) {
            name = name.replace("out.layers.3", "conv2");
        }
        if (name.contains("downsamplers") || name.contains("upsamplers")) {
            name = name.replace("op", "conv");
        }
        if (name.contains("skip")) {
            name = name.replace("skip.connection", "conv_shortcut");
        }
        // LyCORIS (LoCon) names
        if (name.contains("time.emb.proj")) {
            name = name.replace("time.emb.proj", "time_emb_proj");
        }
        if (name.contains("conv.shortcut")) {
            name = name.replace("conv.shortcut", "conv_shortcut");
        }
        if (name.contains("transformer_blocks") && (name.contains("attn1") || name.contains("attn2"))) {
            name = name.replace("attn1", "attn1.processor").replace("attn2", "attn2.processor");
        }
        return name;
    }

    /** {@code _convert_text_encoder_lora_key}. */
    static String textEncoderKey(String key, String loraName) {
        String prefix = loraName.startsWith("lora_te_") ? "lora_te_"
                : loraName.startsWith("lora_te1_") ? "lora_te1_" : "lora_te2_";
        String name = key.replace(prefix, "").replace("_", ".");
        name = name.replace("text.model", "text_model").replace("self.attn", "self_attn")
                .replace("q.proj.lora", "to_q_lora").replace("k.proj.lora", "to_k_lora")
                .replace("v.proj.lora", "to_v_lora").replace("out.proj.lora", "to_out_lora")
                .replace("text.projection", "text_projection");
        if (!name.contains("self_attn") && !name.contains("text_projection") && name.contains("mlp")) {
            // the alpha key is built from this name, whose ".lora." became ".lora_linear_layer."
            name = name.replace(".lora.", ".lora_linear_layer.");
        }
        return name;
    }

    /** {@code _get_alpha_name}: the component prefix plus the converted name before {@code .lora.}, + ".alpha". */
    static String alphaName(String alphaKey, String diffusersName) {
        String prefix = alphaKey.startsWith("lora_unet_") ? "unet."
                : alphaKey.startsWith("lora_te_") || alphaKey.startsWith("lora_te1_") ? "text_encoder."
                : "text_encoder_2.";
        int cut = diffusersName.indexOf(".lora.");
        return prefix + (cut < 0 ? diffusersName : diffusersName.substring(0, cut)) + ".alpha";
    }

    /**
     * {@code _maybe_map_sgm_blocks_to_diffusers} (SDXL pipelines pass their UNet config): keys naming
     * {@code input_blocks_<i>_<j>}, {@code middle_block_<i>} or {@code output_blocks_<i>_<j>} are renamed to
     * diffusers' down/mid/up block, inner block ({@code resnets}, {@code attentions}, {@code upsamplers} or
     * {@code downsamplers}) and layer; other state dicts are returned unchanged.
     */
    static <T> Map<String, T> mapSgmBlocks(Map<String, T> input, int layersPerBlock, String where) {
        List<String> patterns = List.of("input_blocks", "middle_block", "output_blocks");
        if (input.keySet().stream().noneMatch(k -> patterns.stream().anyMatch(k::contains))) {
            return input;
        }
        Map<String, T> stateDict = new LinkedHashMap<>(input);
        Map<String, T> out = new LinkedHashMap<>();
        List<String> inner = List.of("resnets", "attentions", "upsamplers");
        TreeSet<Integer> inputIds = new TreeSet<>();
        TreeSet<Integer> middleIds = new TreeSet<>();
        TreeSet<Integer> outputIds = new TreeSet<>();
        for (String layer : new ArrayList<>(stateDict.keySet())) {
            if (layer.contains("text")) {
                out.put(layer, stateDict.remove(layer));
                continue;
            }
            String[] parts = layer.split("_", -1);
            int layerId = parseInt(parts.length >= 5 ? parts[4] : "", layer, where);
            if (layer.contains(patterns.get(0))) {
                inputIds.add(layerId);
            } else if (layer.contains(patterns.get(1))) {
                middleIds.add(layerId);
            } else if (layer.contains(patterns.get(2))) {
                outputIds.add(layerId);
            } else {
                throw new IllegalArgumentException(where + ": Checkpoint not supported because layer " + layer
                        + " not supported.");
            }
        }
        Map<Integer, List<String>> inputBlocks = blocks(stateDict, "input_blocks_", inputIds);
        Map<Integer, List<String>> middleBlocks = blocks(stateDict, "middle_block_", middleIds);
        Map<Integer, List<String>> outputBlocks = blocks(stateDict, "output_blocks_", outputIds);
        for (int i : inputIds) {
            int blockId = (i - 1) / (layersPerBlock + 1);
            int layerInBlock = (i - 1) % (layersPerBlock + 1);
            for (String key : inputBlocks.get(i)) {
                String[] parts = key.split("_", -1);
                int innerId = parseInt(parts[5], key, where);
                boolean op = key.contains("op");
                String innerKey = op ? "downsamplers" : inner.get(checkInner(innerId, key, where));
                String layerKey = op ? "0" : Integer.toString(layerInBlock);
                out.put(join(parts, 4, List.of(Integer.toString(blockId), innerKey, layerKey), 6),
                        stateDict.remove(key));
            }
        }
        for (int i : middleIds) {
            List<String> keyPart = switch (i) {
                case 0 -> List.of(inner.get(0), "0");
                case 1 -> List.of(inner.get(1), "0");
                case 2 -> List.of(inner.get(0), "1");
                default -> throw new IllegalArgumentException(where + ": Invalid middle block id " + i + ".");
            };
            for (String key : middleBlocks.get(i)) {
                out.put(join(key.split("_", -1), 4, keyPart, 5), stateDict.remove(key));
            }
        }
        for (int i : outputIds) {
            int blockId = i / (layersPerBlock + 1);
            int layerInBlock = i % (layersPerBlock + 1);
            for (String key : outputBlocks.get(i)) {
                String[] parts = key.split("_", -1);
                int innerId = checkInner(parseInt(parts[5], key, where), key, where);
                String layerKey = innerId < 2 ? Integer.toString(layerInBlock) : "0";
                out.put(join(parts, 4, List.of(Integer.toString(blockId), inner.get(innerId), layerKey), 6),
                        stateDict.remove(key));
            }
        }
        if (!stateDict.isEmpty()) {
            throw new IllegalArgumentException(where + ": At this point all state dict entries have to be converted "
                    + "(left: " + String.join(", ", stateDict.keySet()) + ")");
        }
        return out;
    }

    private static Map<Integer, List<String>> blocks(Map<String, ?> stateDict, String name, TreeSet<Integer> ids) {
        Map<Integer, List<String>> out = new TreeMap<>();
        for (int id : ids) {
            List<String> keys = new ArrayList<>();
            for (String k : stateDict.keySet()) {
                if (k.contains(name + id)) {
                    keys.add(k);
                }
            }
            out.put(id, keys);
        }
        return out;
    }

    private static String join(String[] parts, int head, List<String> middle, int tail) {
        List<String> all = new ArrayList<>(Arrays.asList(parts).subList(0, head));
        all.addAll(middle);
        all.addAll(Arrays.asList(parts).subList(Math.min(tail, parts.length), parts.length));
        return String.join("_", all);
    }

    private static int checkInner(int innerId, String key, String where) {
        if (innerId < 0 || innerId > 2) {
            throw new IllegalArgumentException(where + ": key " + key + " has inner block " + innerId
                    + " (0, 1 or 2 expected)");
        }
        return innerId;
    }

    private static int parseInt(String s, String key, String where) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": key " + key + " does not name an SGM block number ('" + s
                    + "')");
        }
    }
}
