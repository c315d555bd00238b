// Unit tests of the Hub pieces: environment resolution, names and validation, fnmatch, pipeline file selection.
package io.diffusers4j.hub;

import com.google.gson.JsonParser;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubPiecesTest {
    @TempDir
    Path tmp;

    @Test
    void environmentFollowsHuggingfaceHubConstants() throws Exception {
        Path home = tmp.resolve("home");
        assertEquals(home.resolve(".cache/huggingface/hub"), HubEnvironment.of(Map.of(), home).hubCache());
        assertEquals(Path.of("/x/huggingface/hub"),
                HubEnvironment.of(Map.of("XDG_CACHE_HOME", "/x"), home).hubCache());
        assertEquals(Path.of("/hf/hub"), HubEnvironment.of(Map.of("HF_HOME", "/hf", "XDG_CACHE_HOME", "/x"), home)
                .hubCache());
        assertEquals(home.resolve("hfh/hub"), HubEnvironment.of(Map.of("HF_HOME", "~/hfh"), home).hubCache());
        assertEquals(Path.of("/legacy"), HubEnvironment.of(Map.of("HF_HOME", "/hf",
                "HUGGINGFACE_HUB_CACHE", "/legacy"), home).hubCache());
        assertEquals(Path.of("/c"), HubEnvironment.of(Map.of("HF_HOME", "/hf", "HUGGINGFACE_HUB_CACHE", "/legacy",
                "HF_HUB_CACHE", "/c"), home).hubCache());
        for (String on : new String[] {"1", "true", "ON", "yes"}) {
            assertTrue(HubEnvironment.of(Map.of("HF_HUB_OFFLINE", on), home).offline(), on);
        }
        for (String off : new String[] {"0", "false", "", "2"}) {
            assertFalse(HubEnvironment.of(Map.of("HF_HUB_OFFLINE", off), home).offline(), off);
        }
        assertTrue(HubEnvironment.of(Map.of("TRANSFORMERS_OFFLINE", "1"), home).offline());
        assertEquals("https://huggingface.co", HubEnvironment.of(Map.of(), home).endpoint());
        assertEquals("http://mirror:8080", HubEnvironment.of(Map.of("HF_ENDPOINT", "http://mirror:8080/"), home)
                .endpoint());
        // token: HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then $HF_HOME/token
        assertNull(HubEnvironment.of(Map.of(), home).token());
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "  hf_file\n");
        assertEquals("hf_file", HubEnvironment.of(Map.of(), home).token());
        assertEquals("hf_old", HubEnvironment.of(Map.of("HUGGING_FACE_HUB_TOKEN", "hf_old"), home).token());
        assertEquals("hf_env", HubEnvironment.of(Map.of("HF_TOKEN", "hf_env", "HUGGING_FACE_HUB_TOKEN", "hf_old"),
                home).token());
        HubOptions o = HubOptions.builder().environment(HubEnvironment.of(Map.of("HF_TOKEN", "hf_env"), home)).build();
        assertTrue(o.hasToken());
        assertEquals("hf_opt", o.toBuilder().token("hf_opt").build().effectiveToken());
        assertFalse(o.toBuilder().noToken(true).build().hasToken());
        assertFalse(o.toString().contains("hf_env"));
        HubOptions offline = HubOptions.builder().environment(HubEnvironment.of(Map.of("HF_HUB_OFFLINE", "1"), home))
                .build();
        assertTrue(offline.offline());
        assertFalse(offline.toBuilder().localFilesOnly(false).build().offline());
        assertThrows(IllegalArgumentException.class,
                () -> HubOptions.builder().localFilesOnly(true).forceDownload(true).build());
    }

    @Test
    void repoIdsRevisionsAndFileNames() {
        for (String ok : new String[] {"org/name", "gpt2", "a.b/c_d-e", "CompVis/stable-diffusion-v1-4"}) {
            HubCache.validateRepoId(ok);
        }
        for (String bad : new String[] {"", "a/b/c", "a--b/c", "a/..b", "-a/b", "a/b.", "a/b.git", "../x", "a b/c",
                "/abs", "org/" + "n".repeat(97)}) {
            assertThrows(IllegalArgumentException.class, () -> HubCache.validateRepoId(bad), bad);
        }
        assertEquals("models--CompVis--stable-diffusion-v1-4", HubCache.repoFolderName("CompVis/stable-diffusion-v1-4"));
        HubCache.validateRevision("refs/pr/12");
        for (String bad : new String[] {"", "..", "a/../b", "/x", "a\\b", "a//b"}) {
            assertThrows(IllegalArgumentException.class, () -> HubCache.validateRevision(bad), bad);
        }
        assertTrue(HubCache.isCommitHash("0123456789abcdef0123456789abcdef01234567"));
        assertFalse(HubCache.isCommitHash("0123456789ABCDEF0123456789abcdef01234567"));
        HubCache cache = new HubCache(tmp);
        String c = "c".repeat(40);
        assertEquals(tmp.resolve("models--o--n/snapshots/" + c + "/unet/config.json"),
                cache.pointerPath("o/n", c, "unet/config.json"));
        assertThrows(IllegalArgumentException.class, () -> cache.pointerPath("o/n", c, "unet/../../x"));
        assertThrows(IllegalArgumentException.class, () -> cache.pointerPath("o/n", "main", "x"));
        assertEquals(tmp.resolve(".locks/models--o--n/abc.lock"), cache.lockPath("o/n", "abc"));
        assertThrows(HubException.class, () -> HubCache.checkEtag("../x", "f"));
        assertThrows(HubException.class, () -> HubCache.checkEtag("a/b", "f"));
        assertEquals("abc", HubCache.checkEtag("abc", "f"));
    }

    @Test
    void urlsAndEtagsLikeHuggingfaceHub() {
        assertEquals("refs%2Fpr%2F1", HubClient.quote("refs/pr/1", false));
        assertEquals("unet/a%20b%C3%A9.json", HubClient.quote("unet/a b\u00e9.json", true));
        assertEquals("a_b.c-d~", HubClient.quote("a_b.c-d~", false));
        HubOptions o = HubOptions.builder().endpoint("https://hf.example/").environment(HubEnvironment.of(Map.of(),
                tmp)).build();
        assertEquals(URI.create("https://hf.example/org/n/resolve/refs%2Fpr%2F1/unet/config.json"),
                new HubClient(o).fileUrl("org/n", "refs/pr/1", "unet/config.json"));
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
        assertTrue(HubClient.sameOrigin(URI.create("https://h/a"), URI.create("https://H:443/b")));
        assertFalse(HubClient.sameOrigin(URI.create("http://h:1/a"), URI.create("http://h:2/a")));
        assertFalse(HubClient.sameOrigin(URI.create("http://h/a"), URI.create("https://h/a")));
        assertThrows(IllegalArgumentException.class, () -> new HubClient(o.toBuilder().endpoint("ftp://x").build()));
    }

    @Test
    void fnmatchLikePython() {
        assertTrue(RepoFilter.fnmatch("unet/config.json", "*.json"));
        assertTrue(RepoFilter.fnmatch("unet/config.json", "unet/*"));
        assertTrue(RepoFilter.fnmatch("a/b/c.txt", "a/*"));
        assertFalse(RepoFilter.fnmatch("unet/config.json", "*.safetensors"));
        assertTrue(RepoFilter.fnmatch("model-00001.bin", "model-0000[0-9].bin"));
        assertFalse(RepoFilter.fnmatch("model-0000a.bin", "model-0000[!a-z].bin"));
        assertTrue(RepoFilter.fnmatch("model-00005.bin", "model-0000[!a-z].bin"));
        assertTrue(RepoFilter.fnmatch("x.y", "x?y"));
        assertFalse(RepoFilter.fnmatch("X.json", "x.json"));
        assertTrue(RepoFilter.fnmatch("a+b(c).json", "a+b(c).*"));
        assertEquals(List.of("unet/config.json", "unet/w.safetensors"), RepoFilter.filter(
                List.of("unet/config.json", "unet/w.safetensors", "unet/w.bin", "vae/config.json"),
                List.of("unet/"), List.of("*.bin")));
        assertEquals(List.of("a.json"), RepoFilter.filter(List.of("a.json", "b.md"), null, List.of("*.md")));
    }

    @Test
    void pipelineFilesChooseWeightsPerComponent() {
        ModelIndex index = ModelIndex.load(Fixtures.tinySd());
        List<String> repo = new ArrayList<>(TinyRepo.files(0).keySet());
        List<String> plain = PipelineFiles.select(index, repo, null, null);
        assertTrue(plain.contains("unet/diffusion_pytorch_model.safetensors"));
        assertTrue(plain.contains("vae/diffusion_pytorch_model.safetensors.index.json"));
        assertTrue(plain.contains("tokenizer/vocab.json"));
        assertFalse(plain.contains("README.md"));
        assertFalse(plain.stream().anyMatch(f -> f.endsWith(".bin")));
        List<String> fp16 = PipelineFiles.select(index, repo, "fp16", true);
        assertTrue(fp16.contains("unet/diffusion_pytorch_model.fp16.safetensors"));
        assertFalse(fp16.contains("unet/diffusion_pytorch_model.safetensors"));
        // transformers sharded fp16 naming
        repo.addAll(List.of("text_encoder/model.safetensors.index.fp16.json",
                "text_encoder/model.fp16-00001-of-00002.safetensors", "text_encoder/model.fp16-00002-of-00002.safetensors"));
        assertTrue(PipelineFiles.select(index, repo, "fp16", null)
                .contains("text_encoder/model.safetensors.index.fp16.json"));
        // a pickle-only component fails before any download, naming the file
        List<String> pickled = new ArrayList<>(repo);
        pickled.removeIf(f -> f.startsWith("unet/") && f.endsWith(".safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PipelineFiles.select(index, pickled, null, null));
        assertTrue(e.getMessage().contains("unet/") && e.getMessage().contains("diffusion_pytorch_model.bin"),
                e.getMessage());
        List<String> noVae = new ArrayList<>(repo);
        noVae.removeIf(f -> f.startsWith("vae/"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PipelineFiles.select(index, noVae, null, null))
                .getMessage().contains("'vae'"));
        assertEquals(List.of("config.json", "model.safetensors"), PipelineFiles.selectSingleModel(
                List.of("config.json", "model.safetensors", "pytorch_model.bin", "README.md"), null, null));
        assertTrue(PipelineFiles.isShardIndex("vae/diffusion_pytorch_model.safetensors.fp16.index.json"));
        assertTrue(PipelineFiles.isShardIndex("model.safetensors.index.fp16.json"));
        assertFalse(PipelineFiles.isShardIndex("unet/config.json"));
        assertEquals(List.of("vae/a.safetensors", "vae/b.safetensors"), PipelineFiles.shards("vae/x.index.json",
                JsonParser.parseString("{\"weight_map\":{\"k\":\"b.safetensors\",\"j\":\"a.safetensors\","
                        + "\"i\":\"a.safetensors\"}}").getAsJsonObject()));
        assertThrows(IllegalArgumentException.class, () -> PipelineFiles.shards("vae/x.index.json",
                JsonParser.parseString("{\"weight_map\":{\"k\":\"../b.safetensors\"}}").getAsJsonObject()));
    }
}
