// Where an adapter file comes from: diffusers' _fetch_state_dict / _best_guess_weight_name, safetensors only.
package io.diffusers4j.loaders;

import io.diffusers4j.hub.HubCache;
import io.diffusers4j.hub.HubClient;
import io.diffusers4j.hub.HubDownloader;
import io.diffusers4j.hub.HubOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Resolves what a user names as an adapter (a {@code .safetensors} file, a folder, or a Hub repo id) to one local
 * safetensors file: in a folder or repo the given weight name, else the default name ({@code
 * pytorch_lora_weights.safetensors} for LoRAs, {@code learned_embeds.safetensors} for textual inversions), else the
 * only {@code .safetensors} file (diffusers' best guess: names with "scheduler", "optimizer" or "checkpoint" do not
 * count). Pickle files ({@code .bin}, {@code .pt}, {@code .pth}, {@code .ckpt}) are refused with the reason: loading
 * one can run arbitrary code.
 */
public final class AdapterFiles {
    static final String LORA_WEIGHT_NAME_SAFE = "pytorch_lora_weights.safetensors";
    static final String TEXT_INVERSION_NAME_SAFE = "learned_embeds.safetensors";
    private static final List<String> PICKLE = List.of(".bin", ".pt", ".pth", ".ckpt", ".pkl");
    private static final List<String> NOT_WEIGHTS = List.of("scheduler", "optimizer", "checkpoint");

    private AdapterFiles() {
    }

    /**
     * The local safetensors file of {@code pathOrHubId}; {@code weightName} (may be null) picks a file in a folder
     * or repo; {@code what} names the kind of adapter in messages ("LoRA", "textual inversion").
     */
    static Path resolve(String pathOrHubId, String weightName, String defaultName, HubOptions hub, String what) {
        if (pathOrHubId == null || pathOrHubId.isBlank()) {
            throw new IllegalArgumentException("empty " + what + " path or Hub repo id");
        }
        Path local = localPath(pathOrHubId);
        if (local != null && Files.isRegularFile(local)) {
            return checkSafetensors(local, what);
        }
        if (local != null && Files.isDirectory(local)) {
            return checkSafetensors(inFolder(local, weightName, defaultName, what), what);
        }
        try {
            HubCache.validateRepoId(pathOrHubId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " '" + pathOrHubId + "' is not a file, not a folder and not a "
                    + "valid Hub repo id (" + e.getMessage() + ")", e);
        }
        HubOptions options = hub == null ? HubOptions.defaults() : hub;
        String name = weightName;
        if (name == null) {
            name = options.offline() ? defaultName : bestGuess(new HubClient(options)
                    .repoInfo(pathOrHubId, options.revision()).files(), defaultName, pathOrHubId, what);
        }
        checkSafetensors(Path.of(name), what);
        return new HubDownloader(options).download(pathOrHubId, name);
    }

    /**
     * The early check of a front end (no pipeline, no network): the local safetensors file {@code pathOrHubId}
     * names (a file, or the one a folder holds), or null when it names no local file or folder and is a valid Hub
     * repo id (resolved when loading). Throws IllegalArgumentException saying why it is unusable: a pickle file,
     * a path that does not exist, a folder without one safetensors file, neither a path nor a repo id.
     */
    public static Path checkLocal(String pathOrHubId, boolean lora) {
        String what = lora ? "LoRA" : "textual inversion";
        if (pathOrHubId == null || pathOrHubId.isBlank()) {
            throw new IllegalArgumentException("empty " + what + " path or Hub repo id");
        }
        Path local = localPath(pathOrHubId);
        if (local != null && (Files.isRegularFile(local) || Files.isDirectory(local))) {
            return resolve(pathOrHubId, null, lora ? LORA_WEIGHT_NAME_SAFE : TEXT_INVERSION_NAME_SAFE, null, what);
        }
        if (isPickle(pathOrHubId)) {
            throw pickleRefused(pathOrHubId, what);
        }
        boolean looksLocal = local == null || pathOrHubId.endsWith(".safetensors") || pathOrHubId.startsWith("/")
                || pathOrHubId.startsWith(".") || pathOrHubId.contains("\\")
                || pathOrHubId.chars().filter(c -> c == '/').count() != 1;
        if (looksLocal) {
            throw new IllegalArgumentException(what + " " + pathOrHubId + ": no such file or folder");
        }
        try {
            HubCache.validateRepoId(pathOrHubId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " '" + pathOrHubId + "' is not a file, not a folder and not a "
                    + "valid Hub repo id (" + e.getMessage() + ")", e);
        }
        return null;
    }

    private static Path localPath(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static Path inFolder(Path dir, String weightName, String defaultName, String what) {
        if (weightName != null) {
            Path p = dir.resolve(weightName);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(what + " folder " + dir + " has no file " + weightName);
            }
            return p;
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return dir.resolve(bestGuess(names, defaultName, dir.toString(), what));
    }

    /** The default name when present, else the only safetensors file; pickle-only folders are refused. */
    static String bestGuess(List<String> files, String defaultName, String where, String what) {
        List<String> safetensors = new ArrayList<>();
        List<String> pickles = new ArrayList<>();
        for (String f : files) {
            if (NOT_WEIGHTS.stream().anyMatch(f::contains)) {
                continue;
            }
            if (f.endsWith(".safetensors")) {
                safetensors.add(f);
            } else if (isPickle(f)) {
                pickles.add(f);
            }
        }
        List<String> named = safetensors.stream().filter(f -> f.endsWith(defaultName)).toList();
        List<String> candidates = named.isEmpty() ? safetensors : named;
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        if (candidates.size() > 1) {
            throw new IllegalArgumentException(where + " holds more than one .safetensors " + what + " file "
                    + candidates + ": name the file");
        }
        if (!pickles.isEmpty()) {
            throw pickleRefused(where + " (" + String.join(", ", pickles) + ")", what);
        }
        throw new IllegalArgumentException(where + " holds no .safetensors " + what + " file");
    }

    private static Path checkSafetensors(Path file, String what) {
        if (isPickle(file.getFileName().toString())) {
            throw pickleRefused(file.toString(), what);
        }
        return file;
    }

    private static boolean isPickle(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return PICKLE.stream().anyMatch(lower::endsWith);
    }

    private static IllegalArgumentException pickleRefused(String where, String what) {
        return new IllegalArgumentException(what + " " + where + " is a pickle (PyTorch .bin/.pt/.ckpt) file: "
                + "refused, because loading a pickle can run arbitrary code; use a .safetensors file (convert it "
                + "once, e.g. with safetensors.torch.save_file(torch.load(path)), where you trust the file)");
    }
}
