// diffusers' load_sub_model: builds each component named in model_index.json from its folder.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextModel;
import io.diffusers4j.models.clip.CLIPTextModelWithProjection;
import io.diffusers4j.models.t5.T5Config;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.models.transformers.FluxTransformer2DConfig;
import io.diffusers4j.models.transformers.FluxTransformer2DModel;
import io.diffusers4j.models.transformers.SD3Transformer2DConfig;
import io.diffusers4j.models.transformers.SD3Transformer2DModel;
import io.diffusers4j.models.unet.UNet1DConfig;
import io.diffusers4j.models.unet.UNet1DModel;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.unet.UNet2DConfig;
import io.diffusers4j.models.unet.UNet2DModel;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.models.vae.AutoencoderTiny;
import io.diffusers4j.models.vae.AutoencoderTinyConfig;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.T5TokenizerFast;
import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.MapTensorSource;
import io.diffusers4j.weights.TensorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Loads one component by its {@code [library, class]} entry; unknown classes are refused with the list. */
final class ComponentLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ComponentLoader.class);
    private static final Map<String, NDManager> ROOTS = new HashMap<>();
    /** Components we know of but do not run; loading them is skipped like diffusers' {@code component=None}. */
    static final Set<String> SKIPPED = Set.of("StableDiffusionSafetyChecker", "CLIPImageProcessor",
            "CLIPFeatureExtractor", "CLIPVisionModelWithProjection");
    /** Model and tokenizer classes {@link #load} builds (the cases of its switch). */
    static final List<String> COMPONENT_CLASSES = List.of("UNet2DConditionModel", "AutoencoderKL", "AutoencoderTiny",
            "CLIPTextModel", "CLIPTextModelWithProjection", "CLIPTokenizer", "CLIPTokenizerFast", "UNet2DModel",
            "UNet1DModel", "T5EncoderModel", "T5TokenizerFast", "SD3Transformer2DModel", "FluxTransformer2DModel");
    static final List<String> SUPPORTED = Stream.concat(COMPONENT_CLASSES.stream(),
            Stream.of("<any diffusers scheduler: " + Schedulers.available() + ">")).toList();

    private ComponentLoader() {
    }

    /** Loads component {@code name} of class {@code className} from {@code dir}; null for skipped ones. */
    static Object load(String name, String library, String className, Path dir, LoadContext ctx) {
        if (SKIPPED.contains(className)) {
            LOG.warn("{} ({}) is not supported and is not loaded, as with {}=None", name, className, name);
            return null;
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model_index.json names component '" + name + "' (" + className
                    + ") but the folder " + dir + " does not exist");
        }
        switch (className) {
            case "UNet2DConditionModel": {
                UNet2DConditionConfig cfg = ConfigBase.load(dir.resolve("config.json"), UNet2DConditionConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return UNet2DConditionModel.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            case "AutoencoderKL": {
                AutoencoderKLConfig cfg = ConfigBase.load(dir.resolve("config.json"), AutoencoderKLConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return AutoencoderKL.load(cfg, w, root(ctx.device()), ctx.vaeDtype(cfg.forceUpcast));
                }
            }
            case "AutoencoderTiny": {
                AutoencoderTinyConfig cfg = ConfigBase.load(dir.resolve("config.json"), AutoencoderTinyConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return AutoencoderTiny.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            case "CLIPTextModel", "CLIPTextModelWithProjection": {
                CLIPTextConfig cfg = ConfigBase.load(dir.resolve("config.json"), CLIPTextConfig.class);
                try (TensorSource w = CheckpointFiles.open(dir, CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME,
                        CheckpointFiles.variantFor(dir, ctx.variant()), ctx.useSafetensors())) {
                    NDManager m = root(ctx.device());
                    return className.equals("CLIPTextModel") ? CLIPTextModel.load(cfg, w, m, ctx.dtype())
                            : CLIPTextModelWithProjection.load(cfg, w, m, ctx.dtype());
                }
            }
            case "CLIPTokenizer", "CLIPTokenizerFast":
                return CLIPTokenizer.fromPretrained(dir);
            case "T5EncoderModel": {
                T5Config cfg = ConfigBase.load(dir.resolve("config.json"), T5Config.class);
                try (TensorSource w = CheckpointFiles.open(dir, CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME,
                        CheckpointFiles.variantFor(dir, ctx.variant()), ctx.useSafetensors())) {
                    return T5EncoderModel.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            case "T5TokenizerFast":
                return T5TokenizerFast.fromPretrained(dir);
            case "SD3Transformer2DModel": {
                SD3Transformer2DConfig cfg = ConfigBase.load(dir.resolve("config.json"), SD3Transformer2DConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return SD3Transformer2DModel.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            case "FluxTransformer2DModel": {
                FluxTransformer2DConfig cfg = ConfigBase.load(dir.resolve("config.json"),
                        FluxTransformer2DConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return FluxTransformer2DModel.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            case "UNet2DModel": {
                UNet2DConfig cfg = ConfigBase.load(dir.resolve("config.json"), UNet2DConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return UNet2DModel.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            case "UNet1DModel": {
                UNet1DConfig cfg = ConfigBase.load(dir.resolve("config.json"), UNet1DConfig.class);
                try (TensorSource w = weights(dir, ctx)) {
                    return UNet1DModel.load(cfg, w, root(ctx.device()), ctx.dtype());
                }
            }
            default:
                if (className.endsWith("Scheduler")) {
                    return Schedulers.fromPretrained(dir);
                }
                throw unsupported(name, library, className, dir);
        }
    }

    /** The diffusers weights of a model folder ({@code diffusion_pytorch_model[.variant].safetensors}). */
    private static TensorSource weights(Path dir, LoadContext ctx) {
        return CheckpointFiles.open(dir, CheckpointFiles.DIFFUSERS_WEIGHTS_NAME,
                CheckpointFiles.variantFor(dir, ctx.variant()), ctx.useSafetensors());
    }

    private static IllegalArgumentException unsupported(String name, String library, String className, Path dir) {
        return new IllegalArgumentException(dir.resolveSibling(ModelIndex.FILE_NAME) + ": key '" + name
                + "': component class " + library + "." + className + " is not supported by Diffusers4J "
                + "(supported: " + String.join(", ", SUPPORTED) + ")");
    }

    /**
     * What {@link #load} checks before touching weights: the class is supported, the folder exists, the config
     * parses and validates (tokenizers: the files exist). No weights are read.
     */
    static void check(String name, String library, String className, Path dir) {
        if (SKIPPED.contains(className)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model_index.json names component '" + name + "' (" + className
                    + ") but the folder " + dir + " does not exist");
        }
        switch (className) {
            case "UNet2DConditionModel" -> ConfigBase.load(dir.resolve("config.json"), UNet2DConditionConfig.class);
            case "AutoencoderKL" -> ConfigBase.load(dir.resolve("config.json"), AutoencoderKLConfig.class);
            case "AutoencoderTiny" -> ConfigBase.load(dir.resolve("config.json"), AutoencoderTinyConfig.class);
            case "CLIPTextModel", "CLIPTextModelWithProjection" ->
                    ConfigBase.load(dir.resolve("config.json"), CLIPTextConfig.class);
            case "UNet2DModel" -> ConfigBase.load(dir.resolve("config.json"), UNet2DConfig.class);
            case "UNet1DModel" -> ConfigBase.load(dir.resolve("config.json"), UNet1DConfig.class);
            case "T5EncoderModel" -> ConfigBase.load(dir.resolve("config.json"), T5Config.class);
            case "SD3Transformer2DModel" -> ConfigBase.load(dir.resolve("config.json"), SD3Transformer2DConfig.class);
            case "FluxTransformer2DModel" -> ConfigBase.load(dir.resolve("config.json"), FluxTransformer2DConfig.class);
            case "T5TokenizerFast" -> {
                if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                    throw new IllegalArgumentException(dir + ": tokenizer '" + name + "' (T5TokenizerFast) has no "
                            + "tokenizer.json");
                }
            }
            case "CLIPTokenizer", "CLIPTokenizerFast" -> {
                if (!Files.isRegularFile(dir.resolve("tokenizer.json")) && !(Files.isRegularFile(
                        dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt")))) {
                    throw new IllegalArgumentException(dir + ": tokenizer '" + name + "' has neither tokenizer.json "
                            + "nor vocab.json + merges.txt");
                }
            }
            default -> {
                if (!className.endsWith("Scheduler")) {
                    throw unsupported(name, library, className, dir);
                }
                Schedulers.fromPretrained(dir);
            }
        }
    }

    /** What every component load shares. */
    record LoadContext(Device device, DataType dtype, String variant, Boolean useSafetensors) {
        /** diffusers keeps a force_upcast VAE in float32 when the pipeline runs in float16. */
        DataType vaeDtype(boolean forceUpcast) {
            return dtype == DataType.FLOAT16 && forceUpcast ? DataType.FLOAT32 : dtype;
        }
    }

    /**
     * The process-wide parent manager of every component's weights on {@code device}; each model owns (and closes)
     * its own sub-manager of it.
     */
    static synchronized NDManager root(Device device) {
        return ROOTS.computeIfAbsent(device.toString(), k -> NDManager.newBaseManager(device));
    }

    static Device deviceOf(UNet2DConditionModel unet) {
        return unet.stateDict().values().iterator().next().getDevice();
    }

    static DataType dtypeOf(UNet2DConditionModel unet) {
        return unet.dtype();
    }

    /** "auto", "max", a number, or null to disable. */
    static void setAttentionSlicing(UNet2DConditionModel unet, String sliceSize) {
        if (sliceSize == null) {
            unet.disableAttentionSlicing();
        } else if (sliceSize.equals("auto") || sliceSize.equals("max")) {
            unet.enableAttentionSlicing(sliceSize);
        } else {
            try {
                unet.enableAttentionSlicing(Integer.parseInt(sliceSize.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("attention slice size must be auto, max or a number, got '"
                        + sliceSize + "'");
            }
        }
    }

    static void setMemoryEfficient(UNet2DConditionModel unet, VaeModel vae, boolean on) {
        unet.enableMemoryEfficientAttention(on);
        vae.attentionOptions().memoryEfficient(on);
    }

    /**
     * The components with every model copied to {@code device} in {@code dtype} (weights copied from the loaded
     * state dicts, no file read); tokenizers and schedulers are host-side and shared (the same objects).
     */
    static Map<String, Object> copyTo(Map<String, Object> components, Device device, DataType dtype) {
        NDManager m = root(device);
        LoadContext ctx = new LoadContext(device, dtype, null, null);
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Object> e : components.entrySet()) {
                out.put(e.getKey(), copy(e.getKey(), e.getValue(), m, ctx));
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach((k, v) -> {
                if (v != components.get(k)) {
                    closeAll(Map.of(k, v));
                }
            });
            throw e;
        }
    }

    private static Object copy(String name, Object c, NDManager m, LoadContext ctx) {
        if (c instanceof UNet2DConditionModel unet) {
            try (MapTensorSource w = new MapTensorSource(unet.stateDict(), name)) {
                return UNet2DConditionModel.load(unet.config(), w, m, ctx.dtype());
            }
        } else if (c instanceof AutoencoderKL vae) {
            try (MapTensorSource w = new MapTensorSource(vae.stateDict(), name)) {
                return AutoencoderKL.load(vae.config(), w, m, ctx.vaeDtype(vae.forceUpcast()));
            }
        } else if (c instanceof AutoencoderTiny vae) {
            try (MapTensorSource w = new MapTensorSource(vae.stateDict(), name)) {
                return AutoencoderTiny.load(vae.config(), w, m, ctx.dtype());
            }
        } else if (c instanceof CLIPTextEncoder te) {
            try (MapTensorSource w = new MapTensorSource(te.stateDict(), name)) {
                return te instanceof CLIPTextModelWithProjection
                        ? CLIPTextModelWithProjection.load(te.config(), w, m, ctx.dtype())
                        : CLIPTextModel.load(te.config(), w, m, ctx.dtype());
            }
        }
        return c;
    }

    static void closeAll(Map<String, Object> components) {
        for (Object c : components.values()) {
            if (c instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.debug("closing a component failed", e);
                }
            }
        }
    }
}
