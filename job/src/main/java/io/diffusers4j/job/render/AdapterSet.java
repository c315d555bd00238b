// The LoRAs and textual inversions an image is rendered with: part of the micro-batch key.
package io.diffusers4j.job.render;

import java.io.Serializable;
import java.util.List;

/**
 * What a row asks to be rendered with on top of the base pipeline: LoRAs with their scales (diffusers'
 * {@code load_lora_weights} + {@code set_adapters(names, adapter_weights=scales)}) and textual-inversion embeddings
 * ({@code load_textual_inversion(name, token=token)}), each named by a path (or a folder, or a Hub repo id) as the
 * row gives it. Rows share a micro-batch only when their sets are equal (order included: it is the activation
 * order).
 *
 * @param loras      the LoRAs, in activation order
 * @param embeddings the textual inversions, in load order
 */
public record AdapterSet(List<Lora> loras, List<Embedding> embeddings) implements Serializable {
    public static final AdapterSet NONE = new AdapterSet(List.of(), List.of());

    /** One LoRA: its file (folder, Hub repo id) and its adapter weight. */
    public record Lora(String name, double scale) implements Serializable {
    }

    /** One textual-inversion embedding: its file (folder, Hub repo id) and its token (null: the file's). */
    public record Embedding(String name, String token) implements Serializable {
    }

    public AdapterSet {
        loras = loras == null ? List.of() : List.copyOf(loras);
        embeddings = embeddings == null ? List.of() : List.copyOf(embeddings);
    }

    public boolean isEmpty() {
        return loras.isEmpty() && embeddings.isEmpty();
    }
}
