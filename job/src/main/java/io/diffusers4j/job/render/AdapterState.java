// The adapters of an executor's one pipeline: files loaded once and cached (LRU), sets switched per micro-batch.
package io.diffusers4j.job.render;

import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.loaders.TextualInversionLoader;
import io.diffusers4j.pipelines.DiffusionPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LoRAs and textual inversions of one pipeline shared by every task of an executor JVM. The base pipeline is
 * never rebuilt: a LoRA file is loaded once ({@code load_lora_weights}) and stays in the models as a named adapter
 * until the least recently used one has to make room ({@code delete_adapters}; at most {@code capacity} stay, or
 * as many as one set needs); a micro-batch activates its set with {@code set_adapters(names, scales)} (none: an
 * empty set). Textual-inversion tokens stay loaded while they cannot change an image: when a micro-batch's prompts
 * use the token of an embedding they do not list, or a token is taken by another file, or more than
 * {@code capacity} embeddings are unused, every embedding is unloaded ({@code unload_textual_inversion()}) and the
 * set's are loaded again, so each image equals a fresh pipeline with exactly its adapters.
 *
 * <p>Several tasks render concurrently on the pipeline: calls with the same configuration run together
 * ({@link #use}); a call that needs another configuration waits until the running ones end, and calls that would
 * join the current one wait behind it (no starvation). Loading and switching happen only while no call runs.
 */
final class AdapterState {
    private static final Logger LOG = LoggerFactory.getLogger(AdapterState.class);

    private record LoadedLora(String adapterName, String sha256) {
    }

    private record LoadedEmbedding(List<String> tokens, String sha256) {
    }

    private final DiffusionPipeline pipeline;
    private final int capacity;
    /** How a Hub repo id an adapter names is resolved (offline when the model is: {@code local-files-only}). */
    private final HubOptions hub;
    /** LoRAs in the pipeline by the name rows give, least recently used first. */
    private final LinkedHashMap<String, LoadedLora> loras = new LinkedHashMap<>(16, 0.75f, true);
    /** Loaded embeddings by {@link #key(AdapterSet.Embedding)}. */
    private final LinkedHashMap<String, LoadedEmbedding> embeddings = new LinkedHashMap<>(16, 0.75f, true);
    /** The active LoRAs with their scales; null when unknown (after a load, which activates the file alone). */
    private List<AdapterSet.Lora> active = List.of();
    private int running;
    private int waiting;
    private int adapterNames;
    private long switches;
    private long loads;

    AdapterState(DiffusionPipeline pipeline, int capacity, HubOptions hub) {
        if (capacity < 1) {
            throw new IllegalArgumentException("lora-cache-size must be >= 1, got " + capacity);
        }
        this.pipeline = pipeline;
        this.capacity = capacity;
        this.hub = hub;
    }

    /** A running call's hold on the configuration; closing it lets other configurations in. */
    interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Loads what {@code set} needs that is not cached (waiting for running calls to end), and returns the SHA-256
     * of each file by name. Throws IllegalArgumentException naming the file when one cannot be loaded.
     */
    synchronized Renderer.Prepared prepare(AdapterSet set) {
        if (missing(set)) {
            exclusive(() -> {
                for (AdapterSet.Lora l : set.loras()) {
                    lora(l.name(), set);
                }
                for (AdapterSet.Embedding e : set.embeddings()) {
                    embedding(e, set);
                }
            });
        }
        Map<String, String> sha = new LinkedHashMap<>();
        Map<String, String> tokens = new LinkedHashMap<>();
        for (AdapterSet.Lora l : set.loras()) {
            sha.put(l.name(), loras.get(l.name()).sha256());
        }
        for (AdapterSet.Embedding e : set.embeddings()) {
            LoadedEmbedding loaded = embeddings.get(key(e));
            sha.put(e.name(), loaded.sha256());
            tokens.put(e.name(), loaded.tokens().get(0));
        }
        return new Renderer.Prepared(sha, tokens);
    }

    /** Holds the pipeline configured for {@code set} and the prompts of one call until the lease is closed. */
    synchronized Lease use(AdapterSet set, List<String> prompts) {
        boolean counted = false;
        try {
            while (!(running == 0 || (waiting == 0 && fits(set, prompts)))) {
                if (!counted) {
                    waiting++;
                    counted = true;
                }
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the pipeline's adapters", e);
        } finally {
            if (counted) {
                waiting--;
            }
        }
        if (!fits(set, prompts)) {
            configure(set, prompts);
        }
        running++;
        return this::release;
    }

    private synchronized void release() {
        running--;
        notifyAll();
    }

    /** Adapter set switches and adapter file loads so far (the bench and tests read them). */
    synchronized long[] counts() {
        return new long[] {switches, loads};
    }

    /** Runs {@code body} once no call runs. */
    private void exclusive(Runnable body) {
        waiting++;
        try {
            while (running > 0) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the pipeline's adapters", e);
        } finally {
            waiting--;
        }
        try {
            body.run();
        } finally {
            notifyAll();
        }
    }

    private boolean missing(AdapterSet set) {
        for (AdapterSet.Lora l : set.loras()) {
            if (!loras.containsKey(l.name())) {
                return true;
            }
        }
        for (AdapterSet.Embedding e : set.embeddings()) {
            if (!embeddings.containsKey(key(e))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a call with {@code set} and {@code prompts} can run on the current configuration. */
    private boolean fits(AdapterSet set, List<String> prompts) {
        if (!set.loras().equals(active) || missing(set)) {
            return false;
        }
        for (Map.Entry<String, LoadedEmbedding> e : embeddings.entrySet()) {
            if (!listed(set, e.getKey()) && usesAny(prompts, e.getValue().tokens())) {
                return false;
            }
        }
        return true;
    }

    private void configure(AdapterSet set, List<String> prompts) {
        long t0 = System.nanoTime();
        boolean unload = embeddings.size() - set.embeddings().size() > capacity;
        for (Map.Entry<String, LoadedEmbedding> e : embeddings.entrySet()) {
            unload |= !listed(set, e.getKey()) && usesAny(prompts, e.getValue().tokens());
        }
        if (unload) {
            unloadEmbeddings();
        }
        for (AdapterSet.Embedding e : set.embeddings()) {
            embedding(e, set);
        }
        for (AdapterSet.Lora l : set.loras()) {
            lora(l.name(), set);
        }
        if (!set.loras().isEmpty() || !loras.isEmpty()) {
            pipeline.setAdapters(set.loras().stream().map(l -> loras.get(l.name()).adapterName()).toList(),
                    set.loras().stream().map(AdapterSet.Lora::scale).toList());
        }
        active = set.loras();
        switches++;
        LOG.debug("adapters switched to {} in {} ms", set, (System.nanoTime() - t0) / 1_000_000);
    }

    /** The LoRA {@code name} in the pipeline (loaded now if it is not), evicting others of no use to {@code set}. */
    private void lora(String name, AdapterSet set) {
        if (loras.get(name) != null) {
            return;
        }
        int room = Math.max(capacity, set.loras().size());
        Iterator<Map.Entry<String, LoadedLora>> it = loras.entrySet().iterator();
        while (loras.size() >= room && it.hasNext()) {
            Map.Entry<String, LoadedLora> oldest = it.next();
            if (set.loras().stream().noneMatch(l -> l.name().equals(oldest.getKey()))) {
                pipeline.deleteAdapters(List.of(oldest.getValue().adapterName()));
                it.remove();
                LOG.info("LoRA {} unloaded (lora-cache-size {})", oldest.getKey(), capacity);
            }
        }
        String adapterName = "job_lora_" + adapterNames++;
        LoraLoader.AdapterInfo info;
        try {
            info = pipeline.loadLoraWeights(name, null, adapterName, hub);
        } catch (RuntimeException e) {
            throw failed("LoRA", name, e);
        }
        loads++;
        loras.put(name, new LoadedLora(adapterName, info.sha256()));
        // load_lora_weights activated it alone: the active set is whatever the next switch makes it
        active = null;
    }

    private void embedding(AdapterSet.Embedding e, AdapterSet set) {
        if (embeddings.get(key(e)) != null) {
            return;
        }
        TextualInversionLoader.Loaded loaded;
        try {
            loaded = pipeline.loadTextualInversion(e.name(), null, e.token(), hub);
        } catch (IllegalArgumentException clash) {
            if (embeddings.isEmpty() || !String.valueOf(clash.getMessage()).contains("already in tokenizer")) {
                throw failed("textual inversion", e.name(), clash);
            }
            // its token is another file's: start over with only this set's embeddings
            unloadEmbeddings();
            for (AdapterSet.Embedding other : set.embeddings()) {
                if (!other.equals(e)) {
                    embedding(other, AdapterSet.NONE);
                }
            }
            try {
                loaded = pipeline.loadTextualInversion(e.name(), null, e.token(), hub);
            } catch (RuntimeException again) {
                throw failed("textual inversion", e.name(), again);
            }
        } catch (RuntimeException other) {
            throw failed("textual inversion", e.name(), other);
        }
        loads++;
        embeddings.put(key(e), new LoadedEmbedding(loaded.tokens(), loaded.sha256()));
    }

    private void unloadEmbeddings() {
        pipeline.unloadTextualInversion();
        embeddings.clear();
    }

    private static IllegalArgumentException failed(String what, String name, RuntimeException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return new IllegalArgumentException(what + " " + name + ": " + (message.contains(name) ? message
                : message + " (" + name + ")"), e);
    }

    private static String key(AdapterSet.Embedding e) {
        return e.name() + "\u0000" + (e.token() == null ? "" : e.token());
    }

    private static boolean listed(AdapterSet set, String key) {
        return set.embeddings().stream().anyMatch(e -> key(e).equals(key));
    }

    private static boolean usesAny(List<String> prompts, List<String> tokens) {
        for (String p : prompts) {
            for (String t : tokens) {
                if (p != null && p.contains(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A list of the LoRA names in the pipeline (tests). */
    synchronized List<String> cachedLoras() {
        return new ArrayList<>(loras.keySet());
    }
}
