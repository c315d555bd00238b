// The keyword arguments of diffusers' DiffusionPipeline.from_pretrained.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.hub.HubOptions;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Options of {@link DiffusionPipeline#fromPretrained}: {@code torch_dtype} (float32, float16, bfloat16 or "auto"),
 * device, variant, revision, local_files_only, force_download, use_safetensors, component overrides (an object to
 * use instead of loading, or {@link #NONE} to drop an optional component) and a custom pipeline class found on the
 * classpath (never code fetched from the network).
 */
public final class PipelineOptions {
    /** Marker for an override that removes a component ({@code safety_checker=None}). */
    public static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private String dtype = "float32";
    private Device device;
    private String variant;
    private String revision;
    private boolean localFilesOnly;
    private boolean forceDownload;
    private Boolean useSafetensors;
    private String token;
    private String customPipeline;
    private HubOptions hubOptions;
    private final Map<String, Object> components = new LinkedHashMap<>();
    private String vae;
    private Integer textEmbeddingCache;

    public String dtype() {
        return dtype;
    }

    /**
     * "float32", "float16", "bfloat16" or "auto" (the checkpoint's own dtype). bfloat16 is torch's CPU autocast:
     * float32 weights and activations, convolutions and linear layers computed in bfloat16 (never a bfloat16 DJL
     * array); {@link DiffusionPipeline#fromPretrained} refuses it, with the reason, off a CPU with AVX512-BF16 or AMX
     * ({@link io.diffusers4j.models.nn.Bf16Support}).
     */
    public PipelineOptions dtype(String value) {
        parseDtype(value);
        this.dtype = value;
        return this;
    }

    /**
     * A dtype name: float32 (fp32), float16 (fp16, half), bfloat16 (bf16: float32 tensors with bfloat16 compute, see
     * {@link #dtype(String)}), or null for "auto" (the checkpoint's own); anything else is refused.
     */
    static DataType parseDtype(String name) {
        String d = name == null ? "float32" : name;
        return switch (d) {
            case "float32", "fp32" -> DataType.FLOAT32;
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            case "auto" -> null;
            default -> throw new IllegalArgumentException("dtype must be float32, float16, bfloat16 or auto, got '"
                    + name + "'");
        };
    }

    public Device device() {
        return device;
    }

    public PipelineOptions device(Device value) {
        this.device = value;
        return this;
    }

    public String variant() {
        return variant;
    }

    public PipelineOptions variant(String value) {
        this.variant = value;
        return this;
    }

    public String revision() {
        return revision;
    }

    public PipelineOptions revision(String value) {
        this.revision = value;
        return this;
    }

    public boolean localFilesOnly() {
        return localFilesOnly;
    }

    public PipelineOptions localFilesOnly(boolean value) {
        this.localFilesOnly = value;
        return this;
    }

    public boolean forceDownload() {
        return forceDownload;
    }

    public PipelineOptions forceDownload(boolean value) {
        this.forceDownload = value;
        return this;
    }

    public Boolean useSafetensors() {
        return useSafetensors;
    }

    public PipelineOptions useSafetensors(Boolean value) {
        this.useSafetensors = value;
        return this;
    }

    /** A Hub token for this load (else {@code HF_TOKEN}); never logged. */
    public Optional<String> token() {
        return Optional.ofNullable(token);
    }

    public PipelineOptions token(String value) {
        this.token = value;
        return this;
    }

    public String customPipeline() {
        return customPipeline;
    }

    /** A fully qualified class name of a {@link DiffusionPipeline} subclass on the classpath. */
    public PipelineOptions customPipeline(String className) {
        this.customPipeline = className;
        return this;
    }

    /** Hub settings beyond the common ones (endpoint, cache folder, environment, retries); null = defaults. */
    public HubOptions hubOptions() {
        return hubOptions;
    }

    public PipelineOptions hubOptions(HubOptions value) {
        this.hubOptions = value;
        return this;
    }

    public Map<String, Object> components() {
        return components;
    }

    /** Uses {@code value} for component {@code name} instead of loading it ({@link #NONE} drops it). */
    public PipelineOptions component(String name, Object value) {
        components.put(name, value);
        return this;
    }

    /** The VAE folder or Hub id given with {@link #vae(String)}, or null. */
    public String vae() {
        return vae;
    }

    /**
     * Loads the {@code vae} component from {@code folderOrHubId} instead of the pipeline's own: a folder with
     * {@code config.json} naming {@code AutoencoderKL} or {@code AutoencoderTiny} (TAESD, {@code madebyollin/taesd})
     * and its weights, loaded on the pipeline's device and dtype (diffusers: {@code from_pretrained(...,
     * vae=AutoencoderTiny.from_pretrained("madebyollin/taesd"))}). A {@link #component component("vae", ...)}
     * object takes precedence; null removes the setting.
     */
    public PipelineOptions vae(String folderOrHubId) {
        if (folderOrHubId != null && folderOrHubId.isBlank()) {
            throw new IllegalArgumentException("vae must be a folder or a Hub repo id, got an empty string");
        }
        this.vae = folderOrHubId;
        return this;
    }

    /** The text embedding cache size given with {@link #textEmbeddingCache(Integer)}, or null (the default). */
    public Integer textEmbeddingCache() {
        return textEmbeddingCache;
    }

    /**
     * Rows of text-encoder output the pipeline keeps for repeated prompts ({@link
     * DiffusionPipeline#setTextEmbeddingCacheSize}): 0 turns it off, null keeps the default
     * ({@value DiffusionPipeline#DEFAULT_TEXT_EMBEDDING_CACHE}).
     */
    public PipelineOptions textEmbeddingCache(Integer rows) {
        if (rows != null) {
            TextEmbeddingCache.checkCapacity(rows);
        }
        this.textEmbeddingCache = rows;
        return this;
    }

    @Override
    public String toString() {
        return "PipelineOptions{dtype=" + dtype + ", device=" + device + ", variant=" + variant + ", revision="
                + revision + ", localFilesOnly=" + localFilesOnly + ", forceDownload=" + forceDownload
                + ", useSafetensors=" + useSafetensors + ", token=" + (token == null ? "unset" : "***")
                + ", customPipeline=" + customPipeline + ", components=" + components.keySet() + (vae == null ? "" : ", vae=" + vae) + "}";
    }
}
