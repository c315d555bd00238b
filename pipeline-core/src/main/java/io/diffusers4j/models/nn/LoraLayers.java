// The LoRA state of one model (peft's tuner on a UNet or text encoder): adapters, active set, weights, fusing.
package io.diffusers4j.models.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;

/**
 * The adapters loaded into one model, with peft's semantics:
 * <ul>
 *   <li>{@link #add}: a new adapter becomes the only active one (peft's {@code inject_adapter} activates it);</li>
 *   <li>{@link #setAdapters}: the active list, in order, each with a weight (diffusers' {@code set_adapters}):
 *       an adapter's scaling on a layer is {@code weight * alpha / rank};</li>
 *   <li>{@link #setEnabled}: diffusers' {@code disable_lora} / {@code enable_lora}; disabling also unfuses, as
 *       peft's disabled layers unmerge;</li>
 *   <li>{@link #fuse}: peft's {@code merge}: each targeted layer runs {@code W + sum(scale * scaling * B @ A)} from
 *       then on and skips every unfused adapter; {@link #unfuse} returns to the original weights, which were never
 *       modified (bit-exact, unlike peft's subtraction);</li>
 *   <li>{@link #delete}: frees an adapter's tensors.</li>
 * </ul>
 * Each adapter's tensors live in its own manager (on the model's device, in its dtype), fused weights in one
 * manager freed by {@link #unfuse}. Changes must not run while the model computes (the pipelines take
 * {@link #lock()}'s write lock for changes and its read lock around every forward).
 */
public final class LoraLayers implements AutoCloseable {
    /** One adapter's weights for one layer: down ({@code lora_A}), up ({@code lora_B}), rank and alpha. */
    public record ModuleWeights(NDArray down, NDArray up, int rank, double alpha) {
    }

    /** One adapter in this model: its weights by module path, the projections built from them, its weight. */
    private static final class Adapter {
        final NDManager manager;
        final Map<String, ModuleWeights> modules;
        final Map<String, UnaryOperator<NDArray>[]> projections = new LinkedHashMap<>();
        double weight = 1.0;

        Adapter(NDManager manager, Map<String, ModuleWeights> modules) {
            this.manager = manager;
            this.modules = modules;
        }
    }

    private final String component;
    private final Map<String, LoraTarget> targets;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    /** Per module path: the adapters fused into it, in fusing order. */
    private final Map<String, List<String>> merged = new LinkedHashMap<>();
    /** Per module path: the fused weight it runs (in {@link #fusedManager}). */
    private final Map<String, NDArray> fusedWeights = new LinkedHashMap<>();
    private final ReentrantReadWriteLock lock =
            new ReentrantReadWriteLock();
    private List<String> active = List.of();
    private boolean enabled = true;
    private NDManager fusedManager;

    /** {@code component}: the model's name in messages ("unet", "text_encoder"); targets: its layers by path. */
    public LoraLayers(String component, Map<String, LoraTarget> targets) {
        this.component = component;
        this.targets = Map.copyOf(targets);
    }

    /** The {@link LoraTarget}s among {@code modules} (a weight scope's registered modules), by module path. */
    public static Map<String, LoraTarget> targetsOf(Map<String, Object> modules) {
        Map<String, LoraTarget> out = new LinkedHashMap<>();
        modules.forEach((path, module) -> {
            if (module instanceof LoraTarget t) {
                out.put(path, t);
            }
        });
        return out;
    }

    public String component() {
        return component;
    }

    /** The device of the model's weights (adapters are copied there). */
    public Device device() {
        return targets.isEmpty() ? Device.cpu() : targets.values().iterator().next().baseWeight().getDevice();
    }

    /** The dtype of the model's weights (adapters are converted to it, as peft does). */
    public DataType dtype() {
        return targets.isEmpty() ? DataType.FLOAT32
                : targets.values().iterator().next().baseWeight().getDataType();
    }

    /** The layers adapters can target, by module path. */
    public Map<String, LoraTarget> targets() {
        return targets;
    }

    /** Readers (forwards) and writers (adapter changes) of this model's layers. */
    public ReadWriteLock lock() {
        return lock;
    }

    /** The adapters loaded here, in load order (peft's {@code peft_config} keys). */
    public synchronized List<String> adapterNames() {
        return List.copyOf(adapters.keySet());
    }

    public synchronized boolean contains(String name) {
        return adapters.containsKey(name);
    }

    /** The active adapters, in order. */
    public synchronized List<String> active() {
        return active;
    }

    public synchronized boolean enabled() {
        return enabled;
    }

    /** True while some layer runs a fused weight. */
    public synchronized boolean fused() {
        return !merged.isEmpty();
    }

    /**
     * Adds adapter {@code name} (weights by module path, in {@code manager}, which this object closes from now on)
     * and makes it the only active one. Every module must be a target whose shape fits; otherwise nothing is added,
     * {@code manager} is closed and the error lists every mismatch.
     */
    public synchronized void add(String name, Map<String, ModuleWeights> modules, NDManager manager) {
        try {
            if (adapters.containsKey(name)) {
                throw new IllegalArgumentException("Adapter name " + name + " already in use in the " + component
                        + " - please select a new adapter name.");
            }
            List<String> problems = new ArrayList<>();
            modules.forEach((path, w) -> {
                LoraTarget t = targets.get(path);
                String problem = t == null ? path + ": no such layer in the " + component : shapeProblem(t, w);
                if (problem != null) {
                    problems.add(path + ": " + problem);
                }
            });
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("adapter " + name + " does not fit the " + component + ": "
                        + String.join("; ", problems));
            }
            Adapter adapter = new Adapter(manager, Map.copyOf(modules));
            modules.forEach((path, w) -> {
                LoraTarget t = targets.get(path);
                @SuppressWarnings("unchecked")
                UnaryOperator<NDArray>[] pair = new UnaryOperator[] {t.downProjection(w.down()), t.upProjection(w.up())};
                adapter.projections.put(path, pair);
            });
            adapters.put(name, adapter);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        active = List.of(name);
        refresh();
    }

    /** Why {@code w} cannot wrap {@code t} (peft's size-mismatch error), or null when it fits. */
    private static String shapeProblem(LoraTarget t, ModuleWeights w) {
        long[] base = t.checkpointShape();
        long[] down = w.down().getShape().getShape();
        long[] up = w.up().getShape().getShape();
        long[] wantDown = base.clone();
        wantDown[0] = w.rank();
        long[] wantUp = base.length == 2 ? new long[] {base[0], w.rank()} : new long[] {base[0], w.rank(), 1, 1};
        if (Arrays.equals(down, wantDown) && Arrays.equals(up, wantUp)) {
            return null;
        }
        return "layer weight " + Arrays.toString(base) + " needs lora down " + Arrays.toString(
                wantDown) + " and up " + Arrays.toString(wantUp) + ", the adapter has down "
                + Arrays.toString(down) + " and up " + Arrays.toString(up);
    }

    /**
     * diffusers' {@code set_adapters} on this model: activates {@code names} in order; each adapter loaded here gets
     * its weight (names not loaded in this model are active but have no layers here, as in peft).
     */
    public synchronized void setAdapters(List<String> names, List<Double> weights) {
        if (names.size() != weights.size()) {
            throw new IllegalArgumentException("Length of adapter names " + names.size()
                    + " is not equal to the length of the weights " + weights.size());
        }
        for (int i = 0; i < names.size(); i++) {
            Adapter a = adapters.get(names.get(i));
            if (a != null) {
                a.weight = weights.get(i) == null ? 1.0 : weights.get(i);
            }
        }
        active = List.copyOf(names);
        refresh();
    }

    /** Turns every adapter layer on or off; turning them off unfuses first (peft unmerges disabled layers). */
    public synchronized void setEnabled(boolean on) {
        if (!on && !merged.isEmpty()) {
            unfuse();
        }
        enabled = on;
        refresh();
    }

    /** Removes adapter {@code name} and frees its tensors; refused while it is fused. */
    public synchronized void delete(String name) {
        Adapter a = adapters.get(name);
        if (a == null) {
            return;
        }
        for (Map.Entry<String, List<String>> e : merged.entrySet()) {
            if (e.getValue().contains(name)) {
                throw new IllegalStateException("adapter " + name + " is fused into the " + component
                        + " (layer " + e.getKey() + "): call unfuseLora() before deleting it");
            }
        }
        adapters.remove(name);
        List<String> rest = new ArrayList<>(active);
        rest.remove(name);
        active = List.copyOf(rest);
        refresh();
        a.manager.close();
    }

    /**
     * peft's {@code merge} with diffusers' {@code fuse_lora(lora_scale)}: for every layer holding one of
     * {@code names} (null = the active adapters) not yet fused there, the weight becomes
     * {@code W + lora_scale * weight * alpha / rank * B @ A} per adapter, summed in order. Fused layers ignore the
     * call-time scale and the unfused adapters from then on.
     */
    public synchronized void fuse(double loraScale, List<String> names) {
        if (!enabled || targets.isEmpty()) {
            return;
        }
        List<String> toFuse = names == null ? active : names;
        if (fusedManager == null) {
            fusedManager = NDManager.newBaseManager(targets.values().iterator().next().baseWeight().getDevice());
        }
        for (Map.Entry<String, LoraTarget> e : targets.entrySet()) {
            String path = e.getKey();
            LoraTarget target = e.getValue();
            NDArray before = fusedWeights.get(path);
            NDArray weight = before != null ? before : target.baseWeight();
            List<String> now = new ArrayList<>(merged.getOrDefault(path, List.of()));
            for (String name : toFuse) {
                Adapter a = adapters.get(name);
                if (a == null || !a.modules.containsKey(path) || now.contains(name)) {
                    continue;
                }
                ModuleWeights w = a.modules.get(path);
                NDArray delta = target.delta(w.down(), w.up());
                delta.attach(fusedManager);
                delta.muli((float) (a.weight * w.alpha() / w.rank() * loraScale));
                // W + delta in peft's order (addition commutes exactly); the sum is the delta's buffer
                NDArray sum = delta.addi(weight);
                if (weight != before && weight != target.baseWeight()) {
                    weight.close();
                }
                weight = sum;
                now.add(name);
            }
            if (weight != before && weight != target.baseWeight()) {
                target.setFusedWeight(weight);
                fusedWeights.put(path, weight);
                merged.put(path, List.copyOf(now));
                if (before != null) {
                    before.close();
                }
            }
        }
        refresh();
    }

    /** peft's {@code unmerge}, exactly: every layer returns to its original weight; the fused copies are freed. */
    public synchronized void unfuse() {
        for (String path : merged.keySet()) {
            targets.get(path).setFusedWeight(null);
        }
        merged.clear();
        fusedWeights.clear();
        if (fusedManager != null) {
            fusedManager.close();
            fusedManager = null;
        }
        refresh();
    }

    /** Rebuilds every layer's branch from the adapters, the active list, their weights, enabled and fused state. */
    private void refresh() {
        for (Map.Entry<String, LoraTarget> e : targets.entrySet()) {
            String path = e.getKey();
            List<LoraBranch.Path> paths = new ArrayList<>();
            if (enabled && !merged.containsKey(path)) {
                for (String name : active) {
                    Adapter a = adapters.get(name);
                    UnaryOperator<NDArray>[] pair = a == null ? null : a.projections.get(path);
                    if (pair != null) {
                        ModuleWeights w = a.modules.get(path);
                        paths.add(new LoraBranch.Path(name, pair[0], pair[1], a.weight * w.alpha() / w.rank()));
                    }
                }
            }
            e.getValue().setBranch(paths.isEmpty() ? null : new LoraBranch(paths));
        }
    }

    /** The module paths adapter {@code name} targets here (empty when it is not loaded here). */
    public synchronized Set<String> modulesOf(String name) {
        Adapter a = adapters.get(name);
        return a == null ? Set.of() : a.modules.keySet();
    }

    /** The scaling ({@code weight * alpha / rank}) of adapter {@code name} on layer {@code path}, or NaN. */
    public synchronized double scaling(String name, String path) {
        Adapter a = adapters.get(name);
        ModuleWeights w = a == null ? null : a.modules.get(path);
        return w == null ? Double.NaN : a.weight * w.alpha() / w.rank();
    }

    /** Frees every adapter and fused weight; the layers return to their base weights. */
    @Override
    public synchronized void close() {
        for (LoraTarget t : targets.values()) {
            t.setBranch(null);
            t.setFusedWeight(null);
        }
        merged.clear();
        fusedWeights.clear();
        for (Adapter a : adapters.values()) {
            a.manager.close();
        }
        adapters.clear();
        active = List.of();
        if (fusedManager != null) {
            fusedManager.close();
            fusedManager = null;
        }
    }
}
