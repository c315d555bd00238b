// Port of diffusers.loaders.lora_pipeline.StableDiffusion(XL)LoraLoaderMixin + lora_base.LoraBaseMixin (0.30.3).
package io.diffusers4j.loaders;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.models.nn.LoraLayers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * The LoRA methods of a Stable Diffusion pipeline over its LoRA-loadable models ({@code unet}, {@code text_encoder},
 * SDXL's {@code text_encoder_2}): {@link #load} (diffusers' {@code load_lora_weights}), {@link #setAdapters},
 * {@link #disable} / {@link #enable}, {@link #delete}, {@link #fuse} / {@link #unfuse}, {@link #activeAdapters},
 * {@link #listAdapters}. The state lives in the models ({@link LoraLayers}), so every pipeline built over the same
 * components (the img2img and inpainting siblings) sees the same adapters. Changes take the UNet's write lock; the
 * pipelines run every model forward under its read lock ({@link #reading}).
 */
public final class LoraLoader {
    private static final Logger LOG = LoggerFactory.getLogger(LoraLoader.class);

    /** What {@link #load} loaded: the adapter's name, file, SHA-256 and layers per component. */
    public record AdapterInfo(String name, Path file, String sha256, Map<String, Integer> layers,
                              List<String> unexpectedKeys) {
    }

    private final LoraLayers unet;
    /** The text encoders' LoRA states by component name ("text_encoder", "text_encoder_2"), in order. */
    private final Map<String, LoraLayers> textEncoders;
    /** SDXL pipelines: the UNet's layers_per_block for SGM block names; null for SD (diffusers passes no config). */
    private final Integer sgmLayersPerBlock;
    /** Text encoder components the pipeline class could have but this one lacks (keys for them are ignored). */
    private final Set<String> absent;

    public LoraLoader(LoraLayers unet, Map<String, LoraLayers> textEncoders, Integer sgmLayersPerBlock,
                      Set<String> absentTextEncoders) {
        this.unet = unet;
        this.textEncoders = new LinkedHashMap<>(textEncoders);
        this.sgmLayersPerBlock = sgmLayersPerBlock;
        this.absent = Set.copyOf(absentTextEncoders);
    }

    /** Runs {@code body} under the read lock adapter changes wait for (model forwards). */
    public static <T> T reading(LoraLayers unetLayers, Supplier<T> body) {
        Lock lock = unetLayers.lock().readLock();
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    private <T> T writing(Supplier<T> body) {
        Lock lock = unet.lock().writeLock();
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    private void writing(Runnable body) {
        writing(() -> {
            body.run();
            return null;
        });
    }

    /** Every component's LoRA state, the UNet first. */
    private Map<String, LoraLayers> components() {
        Map<String, LoraLayers> all = new LinkedHashMap<>();
        all.put("unet", unet);
        all.putAll(textEncoders);
        return all;
    }

    /**
     * {@code load_lora_weights(pathOrHubId, weight_name=weightName, adapter_name=adapterName)}: reads the safetensors
     * file, converts its keys, and adds the adapter to every model it has layers for, where it becomes the only
     * active adapter. {@code adapterName} null: {@code default_<n>}. Keys naming no layer are logged (diffusers'
     * warning); a file that fits no layer, a shape mismatch or a name in use fails with nothing loaded.
     */
    public AdapterInfo load(String pathOrHubId, String weightName, String adapterName, HubOptions hub) {
        Path file = AdapterFiles.resolve(pathOrHubId, weightName, AdapterFiles.LORA_WEIGHT_NAME_SAFE, hub, "LoRA");
        String sha256 = sha256(file);
        return writing(() -> loadFile(file, sha256, adapterName));
    }

    private AdapterInfo loadFile(Path file, String sha256, String adapterName) {
        String name = adapterName != null ? adapterName : "default_" + unet.adapterNames().size();
        for (Map.Entry<String, LoraLayers> c : components().entrySet()) {
            if (c.getValue().contains(name)) {
                throw new IllegalArgumentException("Adapter name " + name + " already in use in the " + c.getKey()
                        + " - please select a new adapter name.");
            }
        }
        String where = file.toString();
        Map<String, LoraStateDict.ComponentWeights> parts = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        try (NDManager reading = NDManager.newBaseManager(Device.cpu())) {
            LoraStateDict.Parsed parsed = LoraStateDict.read(file, reading, sgmLayersPerBlock);
            Map<String, NDArray> unetPart = LoraStateDict.unetPart(parsed.stateDict());
            if (!unetPart.isEmpty()) {
                parts.put("unet", LoraStateDict.unet(unetPart, LoraStateDict.unetAlphas(parsed.networkAlphas()),
                        unet, where));
            }
            for (Map.Entry<String, LoraLayers> te : textEncoders.entrySet()) {
                Map<String, NDArray> part = LoraStateDict.prefixed(parsed.stateDict(), te.getKey());
                if (!part.isEmpty()) {
                    Map<String, Double> alphas = parsed.networkAlphas() == null ? null
                            : LoraStateDict.prefixed(parsed.networkAlphas(), te.getKey());
                    parts.put(te.getKey(), LoraStateDict.textEncoder(part, alphas, te.getValue(),
                            where + " (" + te.getKey() + ")"));
                }
            }
            for (String missing : absent) {
                if (!LoraStateDict.prefixed(parsed.stateDict(), missing).isEmpty()) {
                    LOG.warn("{}: the {} keys are ignored: this pipeline has no {}", where, missing, missing);
                }
            }
            parts.forEach((component, w) -> w.unexpectedKeys().forEach(k -> unexpected.add(component + "." + k)));
            if (parts.values().stream().allMatch(w -> w.modules().isEmpty())) {
                throw new IllegalArgumentException(where + ": no key of this LoRA targets a layer of the pipeline's "
                        + String.join(", ", components().keySet()));
            }
            Map<String, Integer> layers = new LinkedHashMap<>();
            List<String> added = new ArrayList<>();
            try {
                for (Map.Entry<String, LoraStateDict.ComponentWeights> e : parts.entrySet()) {
                    if (e.getValue().modules().isEmpty()) {
                        continue;
                    }
                    LoraLayers target = components().get(e.getKey());
                    NDManager manager = NDManager.newBaseManager(target.device());
                    target.add(name, copyTo(e.getValue().modules(), manager, target.dtype()), manager);
                    added.add(e.getKey());
                    layers.put(e.getKey(), e.getValue().modules().size());
                }
            } catch (RuntimeException e) {
                for (String component : added) {
                    components().get(component).delete(name);
                }
                throw e;
            }
            if (!unexpected.isEmpty()) {
                LOG.warn("Loading adapter weights from {} led to unexpected keys not found in the model: {}", where,
                        unexpected);
            }
            LOG.info("loaded LoRA {} from {} ({} layers: {})", name, where,
                    layers.values().stream().mapToInt(Integer::intValue).sum(), layers);
            return new AdapterInfo(name, file, sha256, Map.copyOf(layers), List.copyOf(unexpected));
        }
    }

    /** The weights on the model's device in its dtype, owned by {@code manager}. */
    private static Map<String, LoraLayers.ModuleWeights> copyTo(Map<String, LoraLayers.ModuleWeights> modules,
                                                                 NDManager manager, DataType dtype) {
        Map<String, LoraLayers.ModuleWeights> out = new LinkedHashMap<>();
        modules.forEach((path, w) -> out.put(path, new LoraLayers.ModuleWeights(copy(w.down(), manager, dtype),
                copy(w.up(), manager, dtype), w.rank(), w.alpha())));
        return out;
    }

    private static NDArray copy(NDArray x, NDManager manager, DataType dtype) {
        NDArray onDevice = x.toDevice(manager.getDevice(), true);
        NDArray converted = onDevice.toType(dtype, false);
        if (converted != onDevice) {
            onDevice.close();
        }
        converted.attach(manager);
        return converted;
    }

    /** The SHA-256 of a file, hex (what front ends record with the adapter). */
    public static String sha256(Path file) {
        return sha256(file, false);
    }

    /**
     * The AUTOMATIC1111 web UI's "addnet" hash of a safetensors file: the SHA-256 of its data after the header
     * (what its {@code Lora hashes} show the first 12 hex digits of).
     */
    public static String addnetHash(Path safetensorsFile) {
        return sha256(safetensorsFile, true);
    }

    private static String sha256(Path file, boolean skipSafetensorsHeader) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            if (skipSafetensorsHeader) {
                byte[] length = in.readNBytes(8);
                long n = length.length < 8 ? 0 : ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
                in.skipNBytes(n);
            }
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code set_adapters(names, adapter_weights=weights)}: activates {@code names} in every model, in order, each
     * with its weight (null, or a null entry: 1.0).
     */
    public void setAdapters(List<String> names, List<Double> weights) {
        List<Double> w = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            w.add(weights == null || weights.size() <= i || weights.get(i) == null ? 1.0 : weights.get(i));
        }
        if (weights != null && weights.size() != names.size()) {
            throw new IllegalArgumentException("Length of adapter names " + names.size()
                    + " is not equal to the length of the weights " + weights.size());
        }
        writing(() -> {
            requireLoaded(names);
            components().values().forEach(c -> c.setAdapters(names, w));
        });
    }

    private void requireLoaded(List<String> names) {
        Set<String> all = allAdapters();
        Set<String> missing = new LinkedHashSet<>(names);
        missing.removeAll(all);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("Adapter name(s) " + missing
                    + " not in the list of present adapters: " + all + ".");
        }
    }

    private Set<String> allAdapters() {
        Set<String> all = new LinkedHashSet<>();
        components().values().forEach(c -> all.addAll(c.adapterNames()));
        return all;
    }

    /** {@code disable_lora()}: every adapter layer off (fused adapters are unfused). */
    public void disable() {
        writing(() -> components().values().forEach(c -> c.setEnabled(false)));
    }

    /** {@code enable_lora()}. */
    public void enable() {
        writing(() -> components().values().forEach(c -> c.setEnabled(true)));
    }

    /** {@code delete_adapters(names)}: frees the adapters' tensors in every model. */
    public void delete(List<String> names) {
        writing(() -> {
            requireLoaded(names);
            for (String name : names) {
                components().values().forEach(c -> c.delete(name));
            }
        });
    }

    /**
     * {@code fuse_lora(lora_scale=scale, adapter_names=names)} on every model: the adapters (null = the active
     * ones) are added into copies of the weights they target.
     */
    public void fuse(double scale, List<String> names) {
        writing(() -> {
            if (names != null) {
                requireLoaded(names);
            }
            components().values().forEach(c -> c.fuse(scale, names));
        });
    }

    /** {@code unfuse_lora()}: every model back to its original weights (bit-exact). */
    public void unfuse() {
        writing(() -> components().values().forEach(LoraLayers::unfuse));
    }

    /** {@code get_active_adapters()}: the UNet's active adapters. */
    public List<String> activeAdapters() {
        return unet.adapterNames().isEmpty() ? List.of() : unet.active();
    }

    /** {@code get_list_adapters()}: the adapters of every model that has some. */
    public Map<String, List<String>> listAdapters() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        components().forEach((name, c) -> {
            if (!c.adapterNames().isEmpty()) {
                out.put(name, c.adapterNames());
            }
        });
        return out;
    }
}
