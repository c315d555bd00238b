// FIFOs, devices and links out of the folder in a model folder: refused quickly, never read, never quoted.
package io.diffusers4j.pipelines;

import io.diffusers4j.testing.ModelCopies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 6. Before: a FIFO as {@code unet/config.json} blocked {@code generate} and the job forever, a
 * link to {@code /dev/zero} was read until the heap was gone (its size, 0, passed the 4 MB cap), and a link to
 * {@code /etc/passwd} was refused with its first token ("root") in the message. Now only regular files are opened,
 * reads stop at the cap, and a file that links out of its folder (but to a Hugging Face cache blob) is not read.
 */
class HostileFilesTest {
    @TempDir
    Path tmp;
    private int copies;

    private Path copy(String... editable) {
        return ModelCopies.tinySd(tmp.resolve("m" + copies++), editable);
    }

    @Test
    void fifosAndDevicesAreRefusedWithoutBeingRead() throws Exception {
        Path a = copy("unet");
        ModelCopies.replaceWithFifo(a.resolve("unet/config.json"));
        FolderRefusals.refused(a, new PipelineOptions(), a.resolve("unet/config.json").toString(),
                "not a regular file");

        Path b = copy("vae");
        ModelCopies.replaceWithLink(b.resolve("vae/config.json"), Path.of("/dev/zero"));
        FolderRefusals.refused(b, new PipelineOptions(), b.resolve("vae/config.json").toString(),
                "not a regular file");

        Path t = copy("tokenizer");
        ModelCopies.replaceWithFifo(t.resolve("tokenizer/tokenizer_config.json"));
        FolderRefusals.loadRefused(t, t.resolve("tokenizer/tokenizer_config.json").toString(), "not a regular file");
        // the vocabulary and merges are required: the driver check finds no regular file and names the folder
        for (String name : List.of("vocab.json", "merges.txt")) {
            Path v = copy("tokenizer");
            ModelCopies.replaceWithFifo(v.resolve("tokenizer").resolve(name));
            FolderRefusals.refused(v, new PipelineOptions(), v.resolve("tokenizer").toString(), "vocab.json");
        }
        Path z = copy("tokenizer");
        ModelCopies.replaceWithLink(z.resolve("tokenizer/vocab.json"), Path.of("/dev/zero"));
        FolderRefusals.refused(z, new PipelineOptions(), z.resolve("tokenizer").toString(), "vocab.json");
    }

    @Test
    void aLinkOutOfItsFolderIsNotReadSoItsContentIsNeverQuoted() throws Exception {
        Path passwd = Path.of("/etc/passwd");
        String first = Files.readString(passwd).split("[:\n]")[0];
        for (String file : List.of("text_encoder/config.json", "unet/config.json", "scheduler/scheduler_config.json",
                "tokenizer/tokenizer_config.json")) {
            Path p = copy(file.substring(0, file.indexOf('/')));
            ModelCopies.replaceWithLink(p.resolve(file), passwd);
            String m = file.startsWith("tokenizer/")
                    ? FolderRefusals.loadRefused(p, p.resolve(file).toString(), "outside its folder")
                    : FolderRefusals.refused(p, new PipelineOptions(), p.resolve(file).toString(),
                            "outside its folder");
            assertFalse(m.contains(first + ":") || m.contains("\"" + first + "\""), "content quoted: " + m);
        }
    }

    @Test
    void linksInsideTheFolderAndLinkedComponentFoldersStillLoad() throws Exception {
        // every component folder of a copy but the edited one is a link to the fixture: those load as before
        Path p = copy("unet");
        Path moved = p.resolve("unet/config.real.json");
        Files.move(p.resolve("unet/config.json"), moved);
        ModelCopies.replaceWithLink(p.resolve("unet/config.json"), Path.of("config.real.json")); // to its sibling
        DiffusionPipeline.checkPretrained(p, null);
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(p.toString(), new PipelineOptions())) {
            assertTrue(pipe.components().containsKey("unet"));
        }
    }
}
