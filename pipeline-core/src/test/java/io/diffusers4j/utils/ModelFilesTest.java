// ModelFiles: which text files of a model folder are read (regular, in their folder or a Hub blob) and how much.
package io.diffusers4j.utils;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFilesTest {
    @TempDir
    Path tmp;

    private static String refused(Path file, long cap) {
        return assertThrows(IllegalArgumentException.class, () -> ModelFiles.readString(file, cap, "config file"))
                .getMessage();
    }

    @Test
    void readsAtMostTheCapWhateverSizeTheFileClaims() throws Exception {
        Path status = Path.of("/proc/self/status"); // a regular file that claims 0 bytes
        assertEquals(0, Files.size(status));
        String m = refused(status, 16);
        assertTrue(m.startsWith(status + ": config file is more than the 16 bytes allowed"), m);

        Path big = Files.write(tmp.resolve("big.json"), new byte[100]);
        assertTrue(refused(big, 99).endsWith("config file is 100 bytes, more than the 99 allowed"));
        assertEquals(100, ModelFiles.readString(big, 100, "config file").length());
    }

    @Test
    void onlyRegularFilesInsideTheirFolderAreRead() throws Exception {
        assertTrue(refused(tmp, 1000).endsWith("config file is not a regular file (a folder)"));
        assertTrue(refused(Path.of("/dev/null"), 1000).contains("not a regular file (a FIFO, socket or device)"));
        assertTrue(refused(tmp.resolve("none.json"), 1000).contains("does not exist"));
        Path broken = Files.createSymbolicLink(tmp.resolve("broken.json"), tmp.resolve("none.json"));
        assertTrue(refused(broken, 1000).contains("does not exist (or is a broken link)"));

        Path outside = Files.writeString(tmp.resolve("secret.txt"), "token=abc");
        Path folder = Files.createDirectories(tmp.resolve("model/unet"));
        Path out = Files.createSymbolicLink(folder.resolve("config.json"), outside);
        String m = refused(out, 1000);
        assertTrue(m.startsWith(out + ": config file is a link to " + outside.toRealPath() + ", outside its folder"),
                m);
        assertTrue(!m.contains("token=abc"), m);

        Path sibling = Files.writeString(folder.resolve("real.json"), "{}");
        Files.createSymbolicLink(folder.resolve("alias.json"), sibling.getFileName());
        assertEquals("{}", ModelFiles.readString(folder.resolve("alias.json"), 1000, "config file"));
        // a linked folder: its files are inside the folder the link resolves to
        Path linkedFolder = Files.createSymbolicLink(tmp.resolve("model/vae"), folder);
        assertEquals("{}", ModelFiles.readString(linkedFolder.resolve("real.json"), 1000, "config file"));
    }

    @Test
    void hubCacheSnapshotsMayLinkToTheirRepoBlobsOnly() throws Exception {
        Path repo = tmp.resolve("hub/models--org--name");
        Path blob = Files.writeString(Files.createDirectories(repo.resolve("blobs")).resolve("0a1b"), "{\"a\": 1}");
        Path unet = Files.createDirectories(repo.resolve("snapshots/0123abcd/unet"));
        Path pointer = Files.createSymbolicLink(unet.resolve("config.json"), Path.of("../../../blobs/0a1b"));
        assertEquals("{\"a\": 1}", ModelFiles.readString(pointer, 1000, "config file"));
        Path index = Files.createSymbolicLink(unet.getParent().resolve("model_index.json"),
                Path.of("../../blobs/0a1b"));
        assertEquals("{\"a\": 1}", ModelFiles.readString(index, 1000, "config file"));

        Path other = tmp.resolve("hub/models--evil--repo/blobs");
        Path otherBlob = Files.writeString(Files.createDirectories(other).resolve("ffff"), "{}");
        Path cross = Files.createSymbolicLink(unet.resolve("scheduler_config.json"), otherBlob);
        assertTrue(refused(cross, 1000).contains("outside its folder"));
        Path notHub = Files.writeString(Files.createDirectories(tmp.resolve("x/blobs")).resolve("b"), "{}");
        Path plain = Files.createDirectories(tmp.resolve("x/model"));
        assertTrue(refused(Files.createSymbolicLink(plain.resolve("config.json"), notHub), 1000)
                .contains("outside its folder"));
        assertTrue(blob.toFile().exists());
    }

    @Test
    void invalidUtf8IsRefused() throws Exception {
        Path bad = Files.write(tmp.resolve("bad.json"), new byte[] {'{', (byte) 0xC3, '}'});
        assertTrue(refused(bad, 1000).endsWith("config file is not valid UTF-8 text"));
        Path good = Files.writeString(tmp.resolve("good.json"), "{\"é\": 1}", StandardCharsets.UTF_8);
        assertEquals("{\"é\": 1}", ModelFiles.readString(good, 1000, "config file"));
    }
}
