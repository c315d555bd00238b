// Port of the weight-file naming and selection of diffusers.models.modeling_utils / utils.hub_utils (_add_variant,
// _fetch_index_file[_legacy], _get_model_file) and transformers.modeling_utils (model.safetensors naming).
package io.diffusers4j.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds the weights of one component folder exactly as diffusers and transformers name them, and opens them as a
 * {@link TensorSource}. Only safetensors are ever read: pickle checkpoints ({@code *.bin}, {@code *.ckpt},
 * {@code *.pt}, {@code *.pth}) are never unpickled, and finding only those is an error that names the file.
 *
 * <p>Names, for base {@code diffusion_pytorch_model} (diffusers models) or {@code model} (transformers models) and
 * variant {@code fp16}:
 * <ul>
 *   <li>single file: {@code diffusion_pytorch_model.safetensors}, variant {@code diffusion_pytorch_model.fp16.safetensors};
 *   <li>sharded index: {@code diffusion_pytorch_model.safetensors.index.json}, variant
 *       {@code diffusion_pytorch_model.safetensors.index.fp16.json} (transformers and diffusers &ge; 0.31), or the
 *       legacy {@code diffusion_pytorch_model.safetensors.fp16.index.json} that diffusers 0.30's {@code _add_variant}
 *       wrote (still read by diffusers, after the current name);
 *   <li>shards are named by the index's {@code weight_map} (for example {@code diffusion_pytorch_model-00001-of-00002.safetensors},
 *       {@code model.fp16-00001-of-00002.safetensors}, legacy {@code diffusion_pytorch_model-00001-of-00002.fp16.safetensors}).
 * </ul>
 * A sharded index wins over a single file, as in diffusers. A requested variant that is missing is an error even
 * when the non-variant file exists ({@code _get_model_file} raises "Error no file named ... found in directory").
 */
public final class CheckpointFiles {
    /** Weights base name of diffusers models ({@code SAFETENSORS_WEIGHTS_NAME} without extension). */
    public static final String DIFFUSERS_WEIGHTS_NAME = "diffusion_pytorch_model";
    /** Weights base name of transformers models ({@code SAFE_WEIGHTS_NAME} without extension). */
    public static final String TRANSFORMERS_WEIGHTS_NAME = "model";
    /** File extensions of pickle checkpoints, which are never loaded. */
    public static final List<String> PICKLE_EXTENSIONS = List.of(".bin", ".ckpt", ".pt", ".pth");

    private CheckpointFiles() {
    }

    /** Which file to open: a single safetensors file or a sharded index (a file name inside the folder). */
    public record Choice(String fileName, boolean sharded) {
    }

    /** The weights base name for a component's library: {@code diffusers} or {@code transformers}. */
    public static String baseNameForLibrary(String library) {
        if ("transformers".equals(library)) {
            return TRANSFORMERS_WEIGHTS_NAME;
        }
        if ("diffusers".equals(library)) {
            return DIFFUSERS_WEIGHTS_NAME;
        }
        throw new IllegalArgumentException("no known weights file name for library '" + library
                + "' (expected diffusers or transformers)");
    }

    /**
     * The weights base name a folder uses: diffusers' when a file starts with {@code diffusion_pytorch_model},
     * transformers' when one starts with {@code model} or {@code pytorch_model}; otherwise from {@code library}
     * (diffusers when unknown, e.g. a folder holding only a {@code .ckpt}).
     */
    public static String detectBaseName(Collection<String> fileNames, String library) {
        for (String n : fileNames) {
            if (n.startsWith(DIFFUSERS_WEIGHTS_NAME + ".") || n.startsWith(DIFFUSERS_WEIGHTS_NAME + "-")) {
                return DIFFUSERS_WEIGHTS_NAME;
            }
        }
        for (String n : fileNames) {
            if (n.startsWith("model.") || n.startsWith("model-") || n.startsWith("pytorch_model.")
                    || n.startsWith("pytorch_model-")) {
                return TRANSFORMERS_WEIGHTS_NAME;
            }
        }
        return "transformers".equals(library) ? TRANSFORMERS_WEIGHTS_NAME : DIFFUSERS_WEIGHTS_NAME;
    }

    /**
     * transformers' (and diffusers &ge; 0.31) {@code _add_variant}: the variant goes before the last extension:
     * {@code model.safetensors} &rarr; {@code model.fp16.safetensors}, {@code model.safetensors.index.json} &rarr;
     * {@code model.safetensors.index.fp16.json}. A null variant returns the name unchanged.
     */
    public static String addVariant(String weightsName, String variant) {
        if (variant == null) {
            return weightsName;
        }
        int dot = weightsName.lastIndexOf('.');
        if (dot < 0) {
            return weightsName + "." + variant;
        }
        return weightsName.substring(0, dot) + "." + variant + weightsName.substring(dot);
    }

    /**
     * diffusers 0.30's {@code _add_variant}, kept to read what it wrote: index files get the variant before
     * {@code index.json} ({@code x.safetensors.fp16.index.json}); other names after their first dot-part.
     */
    public static String addVariantLegacy(String weightsName, String variant) {
        if (variant == null) {
            return weightsName;
        }
        String[] parts = weightsName.split("\\.", -1);
        int keep = weightsName.endsWith(".index.json") ? parts.length - 2 : 1;
        List<String> out = new ArrayList<>(List.of(parts).subList(0, keep));
        out.add(variant);
        out.addAll(List.of(parts).subList(keep, parts.length));
        return String.join(".", out);
    }

    /** Sharded-index names to try, in diffusers' order (current name first, then the 0.30 legacy variant name). */
    public static List<String> indexCandidates(String baseName, String variant) {
        String index = baseName + ".safetensors.index.json";
        if (variant == null) {
            return List.of(index);
        }
        return List.of(addVariant(index, variant), addVariantLegacy(index, variant));
    }

    /** The single-file name: {@code <base>.safetensors} or {@code <base>.<variant>.safetensors}. */
    public static String singleFileName(String baseName, String variant) {
        return addVariant(baseName + ".safetensors", variant);
    }

    /**
     * Opens the weights of {@code componentDir}. {@code useSafetensors} follows diffusers: null or true reads
     * safetensors; false asks for pickle weights, which are refused (with the file named).
     *
     * @throws IllegalArgumentException naming the folder and the file names looked for, when nothing loadable exists
     * @throws SafetensorsException     when a file exists but is broken
     */
    public static TensorSource open(Path componentDir, String weightsBaseName, String variant, Boolean useSafetensors) {
        Choice c = choose(listFileNames(componentDir), weightsBaseName, variant, useSafetensors,
                componentDir.toString());
        Path file = componentDir.resolve(c.fileName());
        return c.sharded() ? ShardedTensorSource.open(file) : SafetensorsFile.open(file);
    }

    /**
     * Picks the weights file among {@code fileNames} (the plain file names of one folder); pure, so that a Hub
     * repository listing is judged exactly like a local folder. {@code where} names the folder in errors.
     */
    public static Choice choose(Collection<String> fileNames, String baseName, String variant, Boolean useSafetensors,
                                String where) {
        if (baseName == null || baseName.isEmpty() || baseName.contains("/") || baseName.contains("\\")) {
            throw new IllegalArgumentException("invalid weights base name '" + baseName + "'");
        }
        if (variant != null && (variant.isEmpty() || !variant.matches("[A-Za-z0-9_-]+"))) {
            throw new IllegalArgumentException("invalid variant '" + variant + "' (letters, digits, '_' and '-' only)");
        }
        Set<String> names = Set.copyOf(fileNames);
        List<String> picklesOfVariant = matchingPickles(names, baseName, variant);
        if (Boolean.FALSE.equals(useSafetensors)) {
            String wanted = picklesOfVariant.isEmpty() ? addVariant(pickleBase(baseName) + ".bin", variant)
                    : picklesOfVariant.get(0);
            throw new IllegalArgumentException(where + ": useSafetensors=false selects the pickle checkpoint "
                    + wanted + (picklesOfVariant.isEmpty() ? " (not present)" : "")
                    + ", and pickle files are never unpickled (they can run arbitrary code): convert it to safetensors"
                    + " and leave useSafetensors unset or true");
        }
        for (String index : indexCandidates(baseName, variant)) {
            if (names.contains(index)) {
                return new Choice(index, true);
            }
        }
        String single = singleFileName(baseName, variant);
        if (names.contains(single)) {
            return new Choice(single, false);
        }
        String looked = single + " or " + String.join(" / ", indexCandidates(baseName, variant));
        String nonVariant = null;
        if (variant != null) {
            nonVariant = names.contains(baseName + ".safetensors.index.json") ? baseName + ".safetensors.index.json"
                    : names.contains(singleFileName(baseName, null)) ? singleFileName(baseName, null) : null;
        }
        if (!picklesOfVariant.isEmpty()) {
            throw picklesOnly(where, picklesOfVariant, looked, nonVariant, variant);
        }
        if (nonVariant != null) {
            throw new IllegalArgumentException(where + ": no file named " + looked + " for variant '" + variant
                    + "', but the non-variant " + nonVariant + " exists: load without variant (diffusers fails here"
                    + " too)");
        }
        List<String> anyPickle = new ArrayList<>(new TreeSet<>(names.stream().filter(CheckpointFiles::isPickle)
                .toList()));
        if (!anyPickle.isEmpty()) {
            throw picklesOnly(where, anyPickle, looked, null, variant);
        }
        throw new IllegalArgumentException(where + ": no file named " + looked + " found in the directory");
    }

    /**
     * diffusers' pipeline-level variant rule ({@code DiffusionPipeline.from_pretrained}): a component folder loads
     * {@code variant} only when one of its files has a second dot-part starting with it
     * ({@code diffusion_pytorch_model.fp16.safetensors}, {@code model.fp16-00001-of-00002.safetensors}); otherwise it
     * loads its non-variant weights. Returns the variant to pass to {@link #open}, or null.
     */
    public static String variantFor(Path componentDir, String variant) {
        return variant != null && hasVariantFiles(listFileNames(componentDir), variant) ? variant : null;
    }

    /** True when a name's second dot-part starts with {@code variant} (diffusers' own test, kept as is). */
    public static boolean hasVariantFiles(Collection<String> fileNames, String variant) {
        for (String name : fileNames) {
            String[] parts = name.split("\\.");
            if (parts.length > 1 && parts[1].startsWith(variant)) {
                return true;
            }
        }
        return false;
    }

    /** True for names ending in a pickle extension ({@code .bin}, {@code .ckpt}, {@code .pt}, {@code .pth}). */
    public static boolean isPickle(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return PICKLE_EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    /** The plain file names (regular files, symlinks followed) directly inside {@code dir}. */
    public static List<String> listFileNames(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": component folder does not exist");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list folder", e);
        }
    }

    private static String pickleBase(String baseName) {
        return baseName.equals(TRANSFORMERS_WEIGHTS_NAME) ? "pytorch_model" : baseName;
    }

    /** Pickle checkpoints that diffusers/transformers would load for this base name and variant. */
    private static List<String> matchingPickles(Set<String> names, String baseName, String variant) {
        List<String> out = new ArrayList<>();
        for (String base : new TreeSet<>(List.of(baseName, pickleBase(baseName)))) {
            String single = addVariant(base + ".bin", variant);
            String index = base + ".bin.index.json";
            for (String n : List.of(single, addVariant(index, variant), addVariantLegacy(index, variant))) {
                if (names.contains(n) && !out.contains(n)) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private static IllegalArgumentException picklesOnly(String where, List<String> pickles, String looked,
                                                         String nonVariant, String variant) {
        return new IllegalArgumentException(where + ": only pickle checkpoint(s) " + pickles + " found, no " + looked
                + "; pickle files are never unpickled (they can run arbitrary code): convert to safetensors, e.g. "
                + "in Python `Model.from_pretrained(dir).save_pretrained(dir, safe_serialization=True"
                + (variant == null ? "" : ", variant=\"" + variant + "\"") + ")`"
                + (nonVariant == null ? "" : ", or load the non-variant " + nonVariant + " without variant"));
    }
}
