// Port of diffusers.utils.state_dict_utils (0.30.3): the LoRA key renamings between the diffusers formats and peft's.
package io.diffusers4j.loaders;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key tables and conversions diffusers applies to LoRA state dicts before peft loads them: the older
 * attention-processor names ({@code to_q_lora.down}), the {@code lora_linear_layer} names and peft's
 * ({@code lora_A} / {@code lora_B}). {@link #convert} does what {@code convert_state_dict} does: drop every
 * {@code .processor.}, then apply the first pattern of the table that the key contains (all its occurrences).
 * Maps keep their order, which decides diffusers' "first rank" and "most common alpha" below.
 */
final class LoraKeyMappings {
    /** {@code UNET_TO_DIFFUSERS} (used by {@code convert_unet_state_dict_to_peft}). */
    static final List<String[]> UNET_TO_DIFFUSERS = List.of(
            pair(".to_out_lora.up", ".to_out.0.lora_B"), pair(".to_out_lora.down", ".to_out.0.lora_A"),
            pair(".to_q_lora.down", ".to_q.lora_A"), pair(".to_q_lora.up", ".to_q.lora_B"),
            pair(".to_k_lora.down", ".to_k.lora_A"), pair(".to_k_lora.up", ".to_k.lora_B"),
            pair(".to_v_lora.down", ".to_v.lora_A"), pair(".to_v_lora.up", ".to_v.lora_B"),
            pair(".lora.up", ".lora_B"), pair(".lora.down", ".lora_A"),
            pair(".to_out.lora_magnitude_vector", ".to_out.0.lora_magnitude_vector"));

    /** {@code DIFFUSERS_TO_PEFT}. */
    static final List<String[]> DIFFUSERS_TO_PEFT = List.of(
            pair(".q_proj.lora_linear_layer.up", ".q_proj.lora_B"),
            pair(".q_proj.lora_linear_layer.down", ".q_proj.lora_A"),
            pair(".k_proj.lora_linear_layer.up", ".k_proj.lora_B"),
            pair(".k_proj.lora_linear_layer.down", ".k_proj.lora_A"),
            pair(".v_proj.lora_linear_layer.up", ".v_proj.lora_B"),
            pair(".v_proj.lora_linear_layer.down", ".v_proj.lora_A"),
            pair(".out_proj.lora_linear_layer.up", ".out_proj.lora_B"),
            pair(".out_proj.lora_linear_layer.down", ".out_proj.lora_A"),
            pair(".lora_linear_layer.up", ".lora_B"), pair(".lora_linear_layer.down", ".lora_A"),
            pair("text_projection.lora.down.weight", "text_projection.lora_A.weight"),
            pair("text_projection.lora.up.weight", "text_projection.lora_B.weight"));

    /** {@code DIFFUSERS_OLD_TO_PEFT}. */
    static final List<String[]> DIFFUSERS_OLD_TO_PEFT = List.of(
            pair(".to_q_lora.up", ".q_proj.lora_B"), pair(".to_q_lora.down", ".q_proj.lora_A"),
            pair(".to_k_lora.up", ".k_proj.lora_B"), pair(".to_k_lora.down", ".k_proj.lora_A"),
            pair(".to_v_lora.up", ".v_proj.lora_B"), pair(".to_v_lora.down", ".v_proj.lora_A"),
            pair(".to_out_lora.up", ".out_proj.lora_B"), pair(".to_out_lora.down", ".out_proj.lora_A"),
            pair(".lora_linear_layer.up", ".lora_B"), pair(".lora_linear_layer.down", ".lora_A"));

    /** {@code PEFT_TO_DIFFUSERS}. */
    static final List<String[]> PEFT_TO_DIFFUSERS = List.of(
            pair(".q_proj.lora_B", ".q_proj.lora_linear_layer.up"),
            pair(".q_proj.lora_A", ".q_proj.lora_linear_layer.down"),
            pair(".k_proj.lora_B", ".k_proj.lora_linear_layer.up"),
            pair(".k_proj.lora_A", ".k_proj.lora_linear_layer.down"),
            pair(".v_proj.lora_B", ".v_proj.lora_linear_layer.up"),
            pair(".v_proj.lora_A", ".v_proj.lora_linear_layer.down"),
            pair(".out_proj.lora_B", ".out_proj.lora_linear_layer.up"),
            pair(".out_proj.lora_A", ".out_proj.lora_linear_layer.down"),
            pair("to_k.lora_A", "to_k.lora.down"), pair("to_k.lora_B", "to_k.lora.up"),
            pair("to_q.lora_A", "to_q.lora.down"), pair("to_q.lora_B", "to_q.lora.up"),
            pair("to_v.lora_A", "to_v.lora.down"), pair("to_v.lora_B", "to_v.lora.up"),
            pair("to_out.0.lora_A", "to_out.0.lora.down"), pair("to_out.0.lora_B", "to_out.0.lora.up"));

    /** {@code DIFFUSERS_OLD_TO_DIFFUSERS}. */
    static final List<String[]> DIFFUSERS_OLD_TO_DIFFUSERS = List.of(
            pair(".to_q_lora.up", ".q_proj.lora_linear_layer.up"),
            pair(".to_q_lora.down", ".q_proj.lora_linear_layer.down"),
            pair(".to_k_lora.up", ".k_proj.lora_linear_layer.up"),
            pair(".to_k_lora.down", ".k_proj.lora_linear_layer.down"),
            pair(".to_v_lora.up", ".v_proj.lora_linear_layer.up"),
            pair(".to_v_lora.down", ".v_proj.lora_linear_layer.down"),
            pair(".to_out_lora.up", ".out_proj.lora_linear_layer.up"),
            pair(".to_out_lora.down", ".out_proj.lora_linear_layer.down"),
            pair(".to_k.lora_magnitude_vector", ".k_proj.lora_magnitude_vector"),
            pair(".to_v.lora_magnitude_vector", ".v_proj.lora_magnitude_vector"),
            pair(".to_q.lora_magnitude_vector", ".q_proj.lora_magnitude_vector"),
            pair(".to_out.lora_magnitude_vector", ".out_proj.lora_magnitude_vector"));

    private LoraKeyMappings() {
    }

    private static String[] pair(String from, String to) {
        return new String[] {from, to};
    }

    /** {@code convert_state_dict}: ".processor." becomes "."; then the first pattern contained is replaced. */
    static <T> Map<String, T> convert(Map<String, T> stateDict, List<String[]> mapping) {
        Map<String, T> out = new LinkedHashMap<>();
        stateDict.forEach((key, value) -> out.put(convertKey(key, mapping), value));
        return out;
    }

    static String convertKey(String key, List<String[]> mapping) {
        String k = key.replace(".processor.", ".");
        for (String[] m : mapping) {
            if (k.contains(m[0])) {
                return k.replace(m[0], m[1]);
            }
        }
        return k;
    }

    /** {@code convert_unet_state_dict_to_peft}. */
    static <T> Map<String, T> unetToPeft(Map<String, T> stateDict) {
        return convert(stateDict, UNET_TO_DIFFUSERS);
    }

    /**
     * {@code convert_state_dict_to_diffusers} with the type inferred: the older names ({@code to_out_lora}), peft's
     * ({@code .lora_A.weight}) or already diffusers' ({@code lora_linear_layer}, returned as is).
     */
    static <T> Map<String, T> toDiffusers(Map<String, T> stateDict, String where) {
        if (stateDict.keySet().stream().anyMatch(k -> k.contains("to_out_lora"))) {
            return convert(stateDict, DIFFUSERS_OLD_TO_DIFFUSERS);
        }
        if (stateDict.keySet().stream().anyMatch(k -> k.contains(".lora_A.weight"))) {
            return convert(stateDict, PEFT_TO_DIFFUSERS);
        }
        if (stateDict.keySet().stream().anyMatch(k -> k.contains("lora_linear_layer"))) {
            return stateDict;
        }
        throw new IllegalArgumentException(where + ": Could not automatically infer state dict type");
    }

    /** {@code convert_state_dict_to_peft} with the type inferred (older names or {@code lora_linear_layer}). */
    static <T> Map<String, T> toPeft(Map<String, T> stateDict, String where) {
        if (stateDict.keySet().stream().anyMatch(k -> k.contains("to_out_lora"))) {
            return convert(stateDict, DIFFUSERS_OLD_TO_PEFT);
        }
        if (stateDict.keySet().stream().anyMatch(k -> k.contains("lora_linear_layer"))) {
            return convert(stateDict, DIFFUSERS_TO_PEFT);
        }
        throw new IllegalArgumentException(where + ": Could not automatically infer state dict type");
    }
}
