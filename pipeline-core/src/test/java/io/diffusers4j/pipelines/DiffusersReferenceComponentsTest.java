package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.DiagonalGaussianDistribution;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.tokenizers.TokenizerOutput;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.utils.TorchGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The component cases of {@code reference/manifest.json} (real diffusers 0.30.3 / transformers 4.45): tokenizer edge
 * cases on an SD-1 and an SD-2 tokenizer, the SD-2-shaped text encoder (gelu, legacy pooling, clip skip), UNet (list
 * heads, linear projection, upcast attention) and 3-block VAE, and the VAE's sampling, tiling and slicing.
 */
class DiffusersReferenceComponentsTest {
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
        DiffusersReferencePipelineTest.closeAll();
    }

    private static ReferenceCase reference(String kind, String name) {
        for (JsonObject c : DiffusersReferencePipelineTest.cases(kind)) {
            if (c.get("name").getAsString().equals(name)) {
                return new ReferenceCase(c, DiffusersReferencePipelineTest.referenceDir());
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static AbstractStableDiffusionPipeline pipeline(String checkpoint) {
        return DiffusersReferencePipelineTest.pipeline(checkpoint);
    }

    /** A reference array as a tensor of {@code m} (freed with it). */
    private static NDArray tensor(Npy.Array a, NDManager m) {
        return m.create(a.floats(), new Shape(a.shape()));
    }

    private static void assertClose(Npy.Array want, NDArray got, double atol, String what) {
        assertArrayEquals(want.shape(), got.getShape().getShape(), what + " shape");
        double diff = ReferenceCase.maxAbsDiff(want.floats(), got.toFloatArray());
        assertTrue(diff <= atol, what + " max |diff| " + diff + " > " + atol);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokenizer_edge_tiny-sd", "tokenizer_edge_tiny-sd2", "sd2_tokenizer"})
    void tokenizerIdsAndMasksAreExact(String name) {
        ReferenceCase c = reference("tokenizer", name);
        String checkpoint = name.endsWith("tiny-sd") ? "tiny-sd" : "reference/tiny-sd2";
        List<String> prompts = new ArrayList<>();
        for (JsonElement p : c.json().getAsJsonArray("prompts")) {
            prompts.add(p.getAsJsonObject().get("prompt").getAsString());
        }
        TokenizerOutput out = pipeline(checkpoint).tokenizer().encode(prompts);
        long[] ids = c.file("input_ids").longs();
        long[] mask = c.file("attention_mask").longs();
        for (int i = 0; i < prompts.size(); i++) {
            String label = name + " prompt " + i + " " + c.json().getAsJsonArray("prompts").get(i).getAsJsonObject()
                    .get("name").getAsString();
            assertArrayEquals(Arrays.copyOfRange(ids, i * 77, (i + 1) * 77), out.inputIds()[i], label);
            assertArrayEquals(Arrays.copyOfRange(mask, i * 77, (i + 1) * 77), out.attentionMask()[i],
                    label + " attention mask");
        }
    }

    @Test
    void sd2TextEncoderHiddenStatesPoolingAndClipSkip() {
        ReferenceCase c = reference("text_encoder", "sd2_text_encoder");
        AbstractStableDiffusionPipeline p = pipeline("reference/tiny-sd2");
        Npy.Array ids = c.file("input_ids");
        try (NDManager m = manager.newSubManager()) {
            NDArray input = m.create(ids.longs(), new Shape(ids.shape()));
            CLIPTextOutput out = p.textEncoder().forward(input, null, true);
            assertClose(c.file("last_hidden_state"), out.lastHiddenState(), 1e-4, "last_hidden_state");
            assertClose(c.file("pooler_output"), out.pooledOutput(), 1e-4, "pooler_output");
            assertClose(c.file("hidden_states_minus2"), out.hiddenState(-2), 1e-4, "hidden_states[-2]");
            assertClose(c.file("clip_skip1_embeds"), p.textEncoder().finalLayerNorm(out.hiddenState(-2)), 1e-4,
                    "clip_skip=1 embeds");
        }
    }

    @Test
    void sd2UNetForward() {
        ReferenceCase c = reference("unet_forward", "sd2_unet_forward");
        try (NDManager m = manager.newSubManager()) {
            NDArray sample = tensor(c.file("sample"), m);
            NDArray ehs = tensor(c.file("encoder_hidden_states"), m);
            NDArray out = pipeline("reference/tiny-sd2").unet().forward(sample, m.create(501L), ehs);
            assertClose(c.file("out"), out, 1e-4, "unet out");
        }
    }

    @Test
    void sd2VaeDecodeAndEncode() {
        ReferenceCase c = reference("vae", "sd2_vae");
        AutoencoderKL vae = (AutoencoderKL) pipeline("reference/tiny-sd2").vae();
        assertTrue(pipeline("reference/tiny-sd2").vaeScaleFactor() == 4, "3-block VAE has factor 4");
        try (NDManager m = manager.newSubManager()) {
            NDArray z = tensor(c.file("latents"), m).div((float) vae.config().scalingFactor);
            assertClose(c.file("decoded"), vae.decode(z), 1e-4, "decoded");
            NDArray x = tensor(c.file("enc_input"), m);
            DiagonalGaussianDistribution d = vae.encode(x);
            assertClose(c.file("enc_mean"), d.mean(), 1e-4, "posterior mean");
            assertClose(c.file("enc_std"), d.std(), 1e-4, "posterior std");
        }
    }

    @Test
    void vaePosteriorSampleDrawsLikeDiffusers() {
        ReferenceCase c = reference("vae", "vae_encode_sample");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = tensor(c.file("enc_input"), m);
            DiagonalGaussianDistribution d = ((AutoencoderKL) pipeline("tiny-sd").vae()).encode(x);
            assertClose(c.file("mean"), d.mean(), 1e-4, "mean");
            assertClose(c.file("std"), d.std(), 1e-4, "std");
            assertClose(c.file("logvar"), d.logvar(), 1e-4, "logvar");
            assertClose(c.file("sample"), d.sample(new TorchGenerator(80)), 1e-4, "sample(generator seed 80)");
        }
    }

    @Test
    void vaeTiledAndSlicedPathsMatchDiffusers() {
        AutoencoderKL vae = (AutoencoderKL) pipeline("tiny-sd").vae();
        float scale = (float) vae.config().scalingFactor;
        try (NDManager m = manager.newSubManager()) {
            for (String name : new String[] {"vae_tiled_decode", "vae_tiled_decode_h64_w96"}) {
                ReferenceCase c = reference("vae", name);
                NDArray z = tensor(c.file("latents"), m).div(scale);
                vae.enableTiling(32, 16, 0.25);
                try {
                    assertClose(c.file("tiled"), vae.decode(z), 1e-4, name + " tiled");
                } finally {
                    vae.disableTiling();
                }
                assertClose(c.file("untiled"), vae.decode(z), 1e-4, name + " untiled");
            }
            ReferenceCase enc = reference("vae", "vae_tiled_encode");
            NDArray x = tensor(enc.file("enc_input"), m);
            vae.enableTiling(32, 16, 0.25);
            try {
                DiagonalGaussianDistribution d = vae.encode(x);
                assertClose(enc.file("mean"), d.mean(), 1e-4, "tiled encode mean");
                assertClose(enc.file("std"), d.std(), 1e-4, "tiled encode std");
            } finally {
                vae.disableTiling();
            }
            ReferenceCase sliced = reference("vae", "vae_sliced_decode");
            NDArray z = tensor(sliced.file("latents"), m).div(scale);
            vae.enableSlicing();
            try {
                assertClose(sliced.file("sliced"), vae.decode(z), 1e-4, "sliced decode");
            } finally {
                vae.disableSlicing();
            }
        }
    }
}
