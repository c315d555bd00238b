package io.diffusers4j.loaders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Textual inversion beyond the parity cases: the tokens and ids transformers' {@code add_tokens} gives, the prompt
 * expansion of multi-vector tokens, the token of an AUTOMATIC1111 file, and the refusals (a token already in the
 * vocabulary, a wrong vector size, SDXL files on a one-encoder pipeline, pickle files).
 */
class TextualInversionTest {
    private StableDiffusionPipeline pipe;

    @BeforeEach
    void load() {
        pipe = (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                new PipelineOptions());
    }

    @AfterEach
    void close() {
        pipe.close();
    }

    /** unload_textual_inversion(): the tokenizer and the embeddings as the checkpoint has them; loading again works. */
    @Test
    void unloadRestoresTheTokenizerAndTheEmbeddings() {
        CLIPTokenizer tok = pipe.tokenizer();
        int before = tok.length();
        List<String> plain = tok.tokenize("a <tri> painting of <tiny-cat>");
        pipe.loadTextualInversion(LoraAdaptersTest.adapter("ti_three_a1111.safetensors"), "<tri>");
        pipe.loadTextualInversion(LoraAdaptersTest.adapter("ti_one.safetensors"), null);
        assertEquals(List.of("a</w>", "<tri>", "painting</w>", "of</w>", "<tiny-cat>"),
                tok.tokenize("a <tri> painting of <tiny-cat>"));
        assertEquals(List.of("<tri>", "<tri>_1", "<tri>_2", "<tiny-cat>"), pipe.unloadTextualInversion());
        assertEquals(before, tok.length());
        assertEquals(before, pipe.textEncoder().tokenEmbeddingRows());
        assertEquals(plain, tok.tokenize("a <tri> painting of <tiny-cat>"));
        assertEquals(List.of(), pipe.unloadTextualInversion(), "nothing left to unload");
        TextualInversionLoader.Loaded again = pipe.loadTextualInversion(
                LoraAdaptersTest.adapter("ti_one.safetensors"), null);
        assertEquals(before, tok.convertTokenToId(again.token()));
        assertEquals(before + 1, pipe.textEncoder().tokenEmbeddingRows());
        assertThrows(IllegalArgumentException.class, () -> tok.removeAddedTokens(List.of("<|endoftext|>")));
    }

    @Test
    void multiVectorTokensGetConsecutiveIdsAndExpandInPrompts() {
        CLIPTokenizer tok = pipe.tokenizer();
        int before = tok.length();
        TextualInversionLoader.Loaded three = pipe.loadTextualInversion(
                LoraAdaptersTest.adapter("ti_three_a1111.safetensors"), "<tri>");
        assertEquals(List.of("<tri>", "<tri>_1", "<tri>_2"), three.tokens());
        assertEquals(before + 3, tok.length());
        assertEquals(before + 3, pipe.textEncoder().tokenEmbeddingRows());
        assertEquals(before, tok.convertTokenToId("<tri>"));
        assertEquals(before + 2, tok.convertTokenToId("<tri>_2"));
        assertEquals("a <tri> <tri>_1 <tri>_2 painting, <tri> <tri>_1 <tri>_2",
                TextualInversionLoader.maybeConvertPrompt("a <tri> painting, <tri>", tok));
        assertEquals("a <TRI> painting", TextualInversionLoader.maybeConvertPrompt("a <TRI> painting", tok),
                "added tokens match case-sensitively (CLIPTokenizer has no do_lower_case)");
        long[] ids = tok.encode("a<tri>b").inputIds()[0];
        assertEquals(before, ids[2], "an added token is cut out of the text before BPE");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pipe.loadTextualInversion(
                LoraAdaptersTest.adapter("ti_three_a1111.safetensors"), "<tri>"));
        assertEquals("Token <tri> already in tokenizer vocabulary. Please choose a different token name or remove "
                + "<tri> and embedding from the tokenizer and text encoder.", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadTextualInversion(
                LoraAdaptersTest.adapter("ti_one.safetensors"), "cat</w>"));
        assertTrue(e.getMessage().startsWith("Token cat</w> already in tokenizer vocabulary"), e.getMessage());
    }

    @Test
    void tokensComeFromTheFileUnlessGiven() {
        assertEquals("<tiny-cat>", pipe.loadTextualInversion(LoraAdaptersTest.adapter("ti_one.safetensors"), null)
                .token());
        assertEquals(List.of("ti_three_a1111", "ti_three_a1111_1", "ti_three_a1111_2"), pipe.loadTextualInversion(
                LoraAdaptersTest.adapter("ti_three_a1111.safetensors"), null).tokens(),
                "AUTOMATIC1111's emb_params: the file name, as that UI names it");
    }

    @Test
    void refusals(@TempDir Path tmp) throws Exception {
        Path wide = write(tmp.resolve("wide.safetensors"), Map.of("<w>", new Shape(2, 33)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipe.loadTextualInversion(wide.toString(), null));
        assertTrue(e.getMessage().contains("Loaded embeddings are of incorrect shape (2, 33)"), e.getMessage());
        IllegalArgumentException sdxl = assertThrows(IllegalArgumentException.class, () -> pipe.loadTextualInversion(
                LoraAdaptersTest.adapter("sdxl_ti.safetensors"), "<x>"));
        assertTrue(sdxl.getMessage().contains("needs a pipeline with two text encoders"), sdxl.getMessage());
        Path two = write(tmp.resolve("two.safetensors"), Map.of("a", new Shape(1, 32), "b", new Shape(1, 32)));
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadTextualInversion(two.toString(), null));
        assertTrue(e.getMessage().contains("Loaded state dictionary is incorrect"), e.getMessage());
        Path pt = Files.write(tmp.resolve("embedding.pt"), new byte[] {0});
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadTextualInversion(pt.toString(), null));
        assertTrue(e.getMessage().contains("pickle"), e.getMessage());
        assertEquals(49408, pipe.tokenizer().length(), "nothing was added");
    }

    private static Path write(Path file, Map<String, Shape> tensors) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new TreeMap<>();
            tensors.forEach((k, s) -> arrays.put(k, m.ones(s)));
            SafetensorsWriter.write(file, arrays, DataType.FLOAT32, Map.of("format", "pt"));
        }
        return file;
    }
}
