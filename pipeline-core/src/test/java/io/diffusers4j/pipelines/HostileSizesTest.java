// Sizes and signs in checkpoint configs: refused naming the file and the key before anything is allocated.
package io.diffusers4j.pipelines;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.testing.ModelCopies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Issue 19, items 5 and 7, on copies of the tiny-sd pipeline. Before: {@code num_train_timesteps} 1e9 ran the Java
 * heap out, {@code max_position_embeddings} 5e7 allocated 6.3 GB of zeros before strict loading refused it and 1e9
 * asked libtorch for 128 GB, {@code block_out_channels [32, 2000000]} for 144 TB; {@code layers_per_block -2} gave
 * "Illegal Capacity: -2" and {@code sample_size -64} "The shape must be >= -1", naming neither file nor key, and
 * passed the job's driver check. Now each is one line naming the file and the key, from the config alone (so the
 * driver check refuses it too), or, for sizes in range that the checkpoint does not have, from the checkpoint's
 * header before the model is built.
 */
class HostileSizesTest {
    @TempDir
    Path tmp;
    private int copies;

    /** A copy whose {@code file} has {@code key} set to {@code value}. */
    private Path edited(String file, String key, JsonElement value) {
        Path p = ModelCopies.tinySd(tmp.resolve("m" + copies++), file.substring(0, file.indexOf('/')));
        ModelCopies.editJson(p.resolve(file), o -> o.add(key, value));
        return p;
    }

    /** Both entry points refuse the edit, naming the file, the key and the value. */
    private void refused(String file, String key, JsonElement value, String... more) {
        Path p = edited(file, key, value);
        String[] fragments = new String[more.length + 3];
        fragments[0] = p.resolve(file) + ": key '" + key + "'";
        fragments[1] = value.isJsonArray() ? value.toString().replace(",", ", ") : value.toString();
        fragments[2] = key;
        System.arraycopy(more, 0, fragments, 3, more.length);
        FolderRefusals.refused(p, new PipelineOptions(), fragments);
    }

    @Test
    void hugeSizesAreRefusedFromTheConfigAlone() {
        refused("scheduler/scheduler_config.json", "num_train_timesteps", n(1_000_000_000), "100000 allowed");
        refused("text_encoder/config.json", "max_position_embeddings", n(50_000_000), "8192 allowed");
        refused("text_encoder/config.json", "max_position_embeddings", n(1_000_000_000), "8192 allowed");
        refused("unet/config.json", "block_out_channels", list("[32, 2000000]"), "16384 allowed");
        refused("unet/config.json", "layers_per_block", n(1_000_000), "256 allowed");
        refused("unet/config.json", "cross_attention_dim", n(Integer.MAX_VALUE), "16384 allowed");
        refused("unet/config.json", "sample_size", n(1 << 20), "1024 allowed");
        refused("unet/config.json", "attention_head_dim", list("[8, 100000]"), "1024 allowed");
        refused("vae/config.json", "latent_channels", n(1 << 30), "16384 allowed");
        refused("vae/config.json", "block_out_channels", list("[32, 1048576]"), "16384 allowed");
        refused("text_encoder/config.json", "vocab_size", n(Integer.MAX_VALUE), "allowed");
        refused("text_encoder/config.json", "num_hidden_layers", n(100_000), "256 allowed");
        refused("text_encoder/config.json", "intermediate_size", n(1 << 30), "65536 allowed");
    }

    @Test
    void negativeAndZeroStructuralValuesNameTheFileAndTheKey() {
        refused("unet/config.json", "layers_per_block", n(-2), "minimum 1");
        refused("unet/config.json", "norm_num_groups", n(0), "minimum 1");
        refused("unet/config.json", "sample_size", n(-64), "minimum 1");
        refused("unet/config.json", "cross_attention_dim", n(-32), "minimum 1");
        refused("unet/config.json", "in_channels", n(0), "minimum 1");
        refused("unet/config.json", "attention_head_dim", n(0), "minimum 1");
        refused("unet/config.json", "transformer_layers_per_block", n(-1), "minimum 0");
        refused("unet/config.json", "block_out_channels", list("[32, -64]"), "minimum 1");
        refused("unet/config.json", "conv_in_kernel", n(-3), "minimum 1");
        refused("unet/config.json", "norm_num_groups", n(5), "does not divide block_out_channels [32, 64]");
        refused("vae/config.json", "norm_num_groups", n(0), "minimum 1");
        refused("vae/config.json", "sample_size", n(-1), "minimum 1");
        refused("vae/config.json", "layers_per_block", n(-2), "minimum 1");
        refused("text_encoder/config.json", "num_hidden_layers", n(-1), "minimum 0");
        refused("text_encoder/config.json", "num_attention_heads", n(0), "minimum 1");
        refused("text_encoder/config.json", "hidden_size", n(-32), "minimum 1");
        refused("scheduler/scheduler_config.json", "num_train_timesteps", n(0), "minimum 1");
        refused("scheduler/scheduler_config.json", "steps_offset", n(-1), "minimum 0");
        refused("scheduler/scheduler_config.json", "steps_offset", n(1000), "999 allowed");
    }

    /** In range, but not what the checkpoint holds: refused from its header, before the zero stand-ins of old. */
    @Test
    void sizesTheWeightsDoNotHaveAreRefusedBeforeTheModelIsBuilt() {
        Object[][] cases = {
            {"unet/config.json", "block_out_channels", list("[32, 4096]"), "down_blocks.1.resnets.0.conv1.weight"},
            {"unet/config.json", "layers_per_block", n(3), "down_blocks.0.resnets.N"},
            {"unet/config.json", "cross_attention_dim", n(4096), "attn2.to_k.weight"},
            {"unet/config.json", "in_channels", n(9), "conv_in.weight"},
            {"text_encoder/config.json", "max_position_embeddings", n(8192), "position_embedding.weight"},
            {"text_encoder/config.json", "num_hidden_layers", n(7), "text_model.encoder.layers.N"},
            {"text_encoder/config.json", "vocab_size", n(4_000_000), "token_embedding.weight"},
            {"text_encoder/config.json", "intermediate_size", n(60_000), "mlp.fc1.weight"},
            {"vae/config.json", "latent_channels", n(16), "conv_out.weight"},
            {"vae/config.json", "block_out_channels", list("[32, 8192]"),
                "encoder.down_blocks.1.resnets.0.conv1.weight"},
        };
        for (Object[] c : cases) {
            String file = (String) c[0];
            String key = (String) c[1];
            Path p = edited(file, key, (JsonElement) c[2]);
            String m = FolderRefusals.loadRefused(p, p.resolve(file) + ": key '" + key + "'", (String) c[3],
                    p.resolve(file.substring(0, file.indexOf('/'))).toString());
            assertFalse(m.contains("stand-ins"), m);
        }
    }

    private static JsonPrimitive n(long v) {
        return new JsonPrimitive(v);
    }

    private static JsonElement list(String json) {
        return JsonParser.parseString(json);
    }
}
