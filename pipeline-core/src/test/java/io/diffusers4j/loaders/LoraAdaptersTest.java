package io.diffusers4j.loaders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.models.nn.LoraTarget;
import io.diffusers4j.pipelines.CallArgument;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA behaviour beyond the parity cases (LoraReferenceTest): unfusing restores the original weights bit for bit
 * and never writes the memory-mapped checkpoint, disable / enable / delete, the adapter set shared by the img2img
 * sibling, the call-time scale, and the refusals (pickle files, DoRA, invalid or ill-fitting keys, names).
 */
class LoraAdaptersTest {
    private StableDiffusionPipeline pipe;

    static Path adapters() {
        try {
            return Path.of(LoraAdaptersTest.class.getResource("/reference-lora/manifest.json").toURI()).getParent()
                    .resolve("adapters");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String adapter(String name) {
        return adapters().resolve(name).toString();
    }

    @BeforeEach
    void load() {
        pipe = (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                new PipelineOptions());
    }

    @AfterEach
    void close() {
        pipe.close();
    }

    private float[] render(Double loraScale) {
        return pipe.call(new PipelineCall().prompt("a red cube").negativePrompt("blurry").numInferenceSteps(2)
                .height(32).width(32).seed(5).outputType("latent").loraScale(loraScale)).data();
    }

    @Test
    void unfusingRestoresTheOriginalWeightsBitForBitAndTheFileIsUntouched() throws Exception {
        Path unetFile = Fixtures.tinySd().resolve("unet/diffusion_pytorch_model.safetensors");
        String before = LoraLoader.sha256(unetFile);
        float[] base = render(null);
        pipe.loadLoraWeights(adapter("sd_peft.safetensors"), "peft");
        LoraLayers unet = pipe.unet().loraLayers();
        LoraTarget conv = unet.targets().get("down_blocks.0.resnets.0.conv1");
        LoraTarget linear = unet.targets().get("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q");
        NDArray convWeight = conv.baseWeight();
        float[] convValues = convWeight.toFloatArray();
        float[] linearValues = linear.baseWeight().toFloatArray();
        float[] unfused = render(null);
        assertTrue(maxDiff(base, unfused) > 1e-3, "the adapter changes the output");

        pipe.fuseLora(1.0);
        assertTrue(unet.fused());
        float[] fused = render(null);
        assertTrue(maxDiff(unfused, fused) < 1e-4, "fused = unfused up to rounding: " + maxDiff(unfused, fused));
        assertArrayEquals(fused, render(0.0), "fused layers ignore the call-time scale, as peft's merged ones");
        pipe.unfuseLora();
        assertSame(convWeight, conv.baseWeight());
        assertArrayEquals(convValues, conv.baseWeight().toFloatArray());
        assertArrayEquals(linearValues, linear.baseWeight().toFloatArray());
        assertArrayEquals(unfused, render(null), "unfused again: the same output bit for bit");
        assertEquals(before, LoraLoader.sha256(unetFile), "the memory-mapped checkpoint is never written");

        pipe.fuseLora(0.5);
        float[] half = render(null);
        assertArrayEquals(half, render(null));
        pipe.unfuseLora();
        assertTrue(maxDiff(half, render(0.5)) < 1e-4, "fuse_lora(0.5) = the call-time scale 0.5, unfused");
    }

    @Test
    void disableEnableAndDeleteReturnToTheBaseOutputExactly() {
        float[] base = render(null);
        pipe.loadLoraWeights(adapter("sd_kohya.safetensors"), "k");
        float[] with = render(null);
        pipe.disableLora();
        assertArrayEquals(base, render(null));
        pipe.enableLora();
        assertArrayEquals(with, render(null));
        assertArrayEquals(base, render(0.0), "scale 0: the base output");
        pipe.deleteAdapters(List.of("k"));
        assertEquals(Map.of(), pipe.getListAdapters());
        assertEquals(List.of(), pipe.getActiveAdapters());
        assertArrayEquals(base, render(null));
        assertThrows(IllegalArgumentException.class, () -> pipe.deleteAdapters(List.of("k")));
    }

    @Test
    void adaptersAreSharedWithTheFamilyAndNamesAreChecked() {
        LoraLoader.AdapterInfo a = pipe.loadLoraWeights(adapter("sd_peft.safetensors"), null);
        assertEquals("default_0", a.name());
        assertEquals(Map.of("unet", 96, "text_encoder", 30), a.layers());
        assertEquals(64, a.sha256().length());
        LoraLoader.AdapterInfo b = pipe.loadLoraWeights(adapter("sd_kohya.safetensors"), null);
        assertEquals("default_1", b.name());
        assertEquals(List.of("unet.time.embedding.linear.lora_A.weight", "unet.time.embedding.linear.lora_B.weight"),
                b.unexpectedKeys(), "diffusers' unexpected keys (a warning)");
        assertEquals(List.of("default_1"), pipe.getActiveAdapters(), "the last loaded adapter is the active one");
        assertEquals(Map.of("unet", List.of("default_0", "default_1"), "text_encoder", List.of("default_0",
                "default_1")), pipe.getListAdapters());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipe.loadLoraWeights(adapter("sd_attnproc.safetensors"), "default_0"));
        assertEquals("Adapter name default_0 already in use in the unet - please select a new adapter name.",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> pipe.setAdapters(List.of("default_0", "x"), null));
        assertEquals("Adapter name(s) [x] not in the list of present adapters: [default_0, default_1].",
                e.getMessage());
        pipe.setAdapters(List.of("default_0", "default_1"), List.of(0.8, 0.5));
        assertEquals(0.5 * 2.0 / 4, pipe.unet().loraLayers().scaling("default_1",
                "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"));
        DiffusionPipeline img2img = pipe.pipelineFor(new PipelineCall().prompt("x")
                .image(List.of(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB))));
        assertNotEquals(pipe, img2img);
        assertEquals(List.of("default_0", "default_1"), img2img.getActiveAdapters(), "same components, same adapters");
        pipe.fuseLora(1.0);
        IllegalStateException fused = assertThrows(IllegalStateException.class,
                () -> pipe.deleteAdapters(List.of("default_0")));
        assertTrue(fused.getMessage().contains("call unfuseLora() before deleting it"), fused.getMessage());
        pipe.disableLora();
        assertFalse(pipe.unet().loraLayers().fused(), "disabling unfuses, as peft's disabled layers unmerge");
    }

    @Test
    void refusalsNameTheFileAndTheKeys(@TempDir Path tmp) throws Exception {
        Path pickle = Files.write(tmp.resolve("lora.bin"), new byte[] {1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipe.loadLoraWeights(pickle.toString(), "p"));
        assertTrue(e.getMessage().contains("is a pickle") && e.getMessage().contains("arbitrary code"),
                e.getMessage());
        Files.createDirectories(tmp.resolve("only-pickle"));
        Files.copy(pickle, tmp.resolve("only-pickle/pytorch_lora_weights.bin"));
        e = assertThrows(IllegalArgumentException.class,
                () -> pipe.loadLoraWeights(tmp.resolve("only-pickle").toString(), "p"));
        assertTrue(e.getMessage().contains("pytorch_lora_weights.bin") && e.getMessage().contains("pickle"),
                e.getMessage());

        Path dora = rewrite(tmp, "dora.safetensors", "sd_peft.safetensors",
                (m, mm) -> m.put("unet.mid_block.attentions.0.proj_in.lora_magnitude_vector", mm.zeros(new Shape(4))));
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadLoraWeights(dora.toString(), "d"));
        assertTrue(e.getMessage().contains("DoRA is not supported"), e.getMessage());

        Path invalid = rewrite(tmp, "invalid.safetensors", "sd_peft.safetensors",
                (m, mm) -> m.put("unet.mid_block.attentions.0.proj_in.weight", mm.zeros(new Shape(4))));
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadLoraWeights(invalid.toString(), "i"));
        assertTrue(e.getMessage().startsWith(invalid + ": Invalid LoRA checkpoint (keys without \"lora\": "
                + "unet.mid_block.attentions.0.proj_in.weight)"), e.getMessage());

        Path misfit = rewrite(tmp, "misfit.safetensors", "sd_peft.safetensors",
                (m, mm) -> m.put("unet.mid_block.attentions.0.proj_in.lora_A.weight", mm.zeros(new Shape(4, 7, 1, 1))));
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadLoraWeights(misfit.toString(), "m"));
        assertTrue(e.getMessage().contains("mid_block.attentions.0.proj_in: layer weight [64, 64, 1, 1] needs lora "
                + "down [4, 64, 1, 1] and up [64, 4, 1, 1], the adapter has down [4, 7, 1, 1]"), e.getMessage());
        assertEquals(Map.of(), pipe.getListAdapters(), "nothing was loaded");

        Path stranger = rewrite(tmp, "stranger.safetensors", "sd_peft.safetensors", (m, mm) -> {
            m.clear();
            m.put("unet.not_a_block.proj.lora_A.weight", mm.zeros(new Shape(4, 8)));
            m.put("unet.not_a_block.proj.lora_B.weight", mm.zeros(new Shape(8, 4)));
        });
        e = assertThrows(IllegalArgumentException.class, () -> pipe.loadLoraWeights(stranger.toString(), "s"));
        assertTrue(e.getMessage().contains("Target modules [not_a_block.proj] not found in the base model (unet)"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pipe.loadLoraWeights(tmp.resolve("none").toString(),
                "n"));
    }

    @Test
    void callScaleIsValidatedAndMarkedAsCrossAttentionKwargs() {
        PipelineCall call = new PipelineCall().prompt("x").loraScale(0.5);
        assertTrue(call.setArguments().containsKey(CallArgument.CROSS_ATTENTION_KWARGS));
        assertEquals(0.5, call.copy().loraScale());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PipelineCall().prompt("x").loraScale(Double.NaN).validate());
        assertTrue(e.getMessage().startsWith("cross_attention_kwargs['scale'] must be a finite float32 number"));
    }

    @Test
    void theConvolutionProjectionsMatchTheDefinition() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.randomNormal(new Shape(8, 24, 3, 3));
            Conv2d conv = new Conv2d(w, m.zeros(new Shape(8)), 1, 1);
            NDArray down = m.randomNormal(new Shape(2, 24, 3, 3));
            NDArray up = m.randomNormal(new Shape(8, 2, 1, 1));
            NDArray x = m.randomNormal(new Shape(1, 24, 6, 6));
            NDArray viaBranch = conv.upProjection(up).apply(conv.downProjection(down).apply(x));
            NDArray delta = conv.delta(down, up);
            NDArray viaDelta = new Conv2d(delta, m.zeros(new Shape(8)), 1, 1).forward(x);
            float[] a = viaBranch.toFloatArray();
            float[] b = viaDelta.toFloatArray();
            assertTrue(maxDiff(a, b) < 1e-3, "B(A(x)) = conv(x, B @ A): " + maxDiff(a, b));
            Linear linear = new Linear(m.randomNormal(new Shape(5, 3)), null);
            NDArray d2 = linear.delta(m.ones(new Shape(2, 3)), m.ones(new Shape(5, 2)));
            assertArrayEquals(new long[] {5, 3}, d2.getShape().getShape());
            assertEquals(2f, d2.toFloatArray()[0]);
        }
    }

    private static float maxDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /** A copy of adapter {@code from} (all tensors) changed by {@code edit}, written to {@code tmp/name}. */
    private static Path rewrite(Path tmp, String name, String from, BiConsumer<Map<String, NDArray>, NDManager> edit)
            throws Exception {
        Path out = tmp.resolve(name);
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile st = SafetensorsFile.open(adapters()
                .resolve(from))) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String k : new TreeSet<>(st.keys())) {
                tensors.put(k, st.load(k, m, DataType.FLOAT32));
            }
            edit.accept(tensors, m);
            SafetensorsWriter.write(out, tensors, DataType.FLOAT32, Map.of("format", "pt"));
        }
        return out;
    }
}
