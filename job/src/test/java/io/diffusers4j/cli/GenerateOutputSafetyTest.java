// `generate --output`: checked before any work, nothing created on failure, never replacing files unasked.
package io.diffusers4j.cli;

import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded tiny pipeline, 1 step at 16x16: what matters here is what lands on disk. */
class GenerateOutputSafetyTest {
    @TempDir
    Path tmp;

    private static Object[] generate(Path output, String outputType, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--prompt", "cat", "--steps", "1", "--width", "16",
                "--output-type", outputType, "--output", output.toString(), "--no-progress"));
        args.addAll(List.of(extra));
        if (!args.contains("--height")) {
            args.addAll(List.of("--height", "16"));
        }
        if (!args.contains("--seed")) {
            args.addAll(List.of("--seed", "1"));
        }
        return GenerateOutputTest.run(args.toArray(String[]::new));
    }

    /** Exit 2, one line that starts with the --output error, quickly (before the model loads). */
    private static void assertRefused(Object[] r, String start, long t0) {
        String err = ((String) r[1]).strip();
        assertEquals(2, r[0], err);
        assertTrue(err.startsWith("diffusers4j generate: error: --output ") && err.contains(start), err);
        assertEquals(1, err.lines().count(), err);
        assertFalse(err.contains("seed "), "refused before the run started: " + err);
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "refused before any work");
    }

    private List<String> listing() throws Exception {
        try (Stream<Path> walk = Files.walk(tmp)) {
            return walk.map(p -> tmp.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void anExistingFileIsNeitherAFolderOfPngsNorReplacedByAnArray() throws Exception {
        Path file = tmp.resolve("o");
        Files.writeString(file, "keep me");
        long t0 = System.nanoTime();
        assertRefused(generate(file, "png"), "is a file", t0);
        t0 = System.nanoTime();
        assertRefused(generate(file, "np"), "exists; pass --overwrite", t0);
        t0 = System.nanoTime();
        assertRefused(generate(file.resolve("below"), "png"), "is a file, not a folder", t0);
        assertEquals("keep me", Files.readString(file));
        assertEquals(List.of("", "o"), listing(), "nothing created");

        Object[] r = generate(file, "np", "--overwrite");
        assertEquals(0, r[0], (String) r[1]);
        assertArrayEquals(new long[] {1, 16, 16, 3}, Npy.read(file).shape());
        assertEquals(List.of("", "o"), listing());
    }

    @Test
    void aFolderWhereTheArrayGoesIsRefused() throws Exception {
        Path folder = Files.createDirectory(tmp.resolve("out.npy"));
        long t0 = System.nanoTime();
        assertRefused(generate(folder, "latent"), "is a folder", t0);
        assertEquals(List.of("", "out.npy"), listing());
    }

    @Test
    void aSecondRunIntoTheSameFolderIsRefusedUnlessOverwriteAndOtherFilesStay() throws Exception {
        Path out = tmp.resolve("pngs");
        Object[] first = generate(out, "png");
        assertEquals(0, first[0], (String) first[1]);
        byte[] firstImage = Files.readAllBytes(out.resolve("000.png"));
        Files.writeString(out.resolve("notes.txt"), "mine");

        long t0 = System.nanoTime();
        Object[] second = generate(out, "png", "--seed", "2");
        assertRefused(second, "already holds 000.png that this run writes; pass --overwrite", t0);
        assertArrayEquals(firstImage, Files.readAllBytes(out.resolve("000.png")), "the first run's image stays");

        // more images than there: names beyond the existing ones are free, but 000.png is taken
        assertRefused(generate(out, "png", "--num-images-per-prompt", "3"), "already holds 000.png", t0);

        Object[] replaced = generate(out, "png", "--seed", "2", "--overwrite");
        assertEquals(0, replaced[0], (String) replaced[1]);
        assertFalse(Arrays.equals(firstImage, Files.readAllBytes(out.resolve("000.png"))),
                "--overwrite replaced it with seed 2's image");
        assertEquals("mine", Files.readString(out.resolve("notes.txt")));
        assertEquals(List.of("", "pngs", "pngs/000.png", "pngs/notes.txt"), listing(), "no staging left");
    }

    @Test
    void missingParentFoldersAreCreatedOnlyWhenTheRunSucceeds() throws Exception {
        Path out = tmp.resolve("a/b/out.npy");
        Object[] failed = generate(out, "np", "--height", "17"); // refused by the pipeline after the output check
        assertEquals(2, failed[0], (String) failed[1]);
        assertTrue(((String) failed[1]).contains("divisible"), (String) failed[1]);
        assertEquals(List.of(""), listing(), "a failed run creates nothing");

        Object[] ok = generate(out, "np");
        assertEquals(0, ok[0], (String) ok[1]);
        assertEquals(List.of("", "a", "a/b", "a/b/out.npy"), listing());

        Path pngs = tmp.resolve("c/d");
        ok = generate(pngs, "png", "--num-images-per-prompt", "2");
        assertEquals(0, ok[0], (String) ok[1]);
        assertTrue(Files.isRegularFile(pngs.resolve("001.png")));
    }
}
