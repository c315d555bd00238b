package io.diffusers4j.loaders;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key renamings against what diffusers 0.30.3's functions return for the same keys (values written down from
 * running them: {@code _convert_unet_lora_key}, {@code _convert_text_encoder_lora_key}, {@code _get_alpha_name},
 * {@code convert_unet_state_dict_to_peft}, {@code convert_state_dict_to_diffusers} / {@code _to_peft},
 * {@code _maybe_map_sgm_blocks_to_diffusers}), quirks included.
 */
class LoraKeyConversionTest {
    @Test
    void kohyaUnetKeysBecomeDiffusersNames() {
        assertEquals("down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_q_lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"
                        + ".lora_down.weight"));
        assertEquals("up_blocks.0.attentions.1.transformer_blocks.0.attn2.processor.to_out_lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_up_blocks_0_attentions_1_transformer_blocks_0_attn2_to_out_0"
                        + ".lora_down.weight"));
        assertEquals("down_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_ff_net_0_proj"
                        + ".lora_down.weight"));
        assertEquals("mid_block.attentions.0.proj_in.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_mid_block_attentions_0_proj_in.lora_down.weight"));
        assertEquals("down_blocks.0.resnets.1.time_emb_proj.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_down_blocks_0_resnets_1_time_emb_proj.lora_down.weight"));
        assertEquals("up_blocks.1.resnets.0.conv_shortcut.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_up_blocks_1_resnets_0_conv_shortcut.lora_down.weight"));
        assertEquals("down_blocks.0.downsamplers.0.conv.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_down_blocks_0_downsamplers_0_conv.lora_down.weight"));
        // SGM / LDM names: in_layers_2 -> conv1, emb_layers -> time_emb_proj, skip_connection -> conv_shortcut
        assertEquals("down_blocks.1.resnets.0.conv1.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_input_blocks_1_resnets_0_in_layers_2.lora_down.weight"));
        assertEquals("down_blocks.1.resnets.0.time_emb_proj.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_input_blocks_1_resnets_0_emb_layers_1.lora_down.weight"));
        // quirks kept: diffusers does not map these (the keys then match no layer and are reported unexpected)
        assertEquals("conv.in.lora.down.weight", KohyaLoraConversion.unetKey("lora_unet_conv_in.lora_down.weight"));
        assertEquals("time.embedding.linear.lora.down.weight",
                KohyaLoraConversion.unetKey("lora_unet_time_embedding_linear_1.lora_down.weight"));
    }

    @Test
    void kohyaTextEncoderKeysAndAlphaNames() {
        assertEquals("text_model.encoder.layers.3.self_attn.to_q_lora.down.weight",
                KohyaLoraConversion.textEncoderKey("lora_te_text_model_encoder_layers_3_self_attn_q_proj"
                        + ".lora_down.weight", "lora_te_text_model_encoder_layers_3_self_attn_q_proj"));
        assertEquals("text_model.encoder.layers.0.mlp.fc2.lora_linear_layer.down.weight",
                KohyaLoraConversion.textEncoderKey("lora_te2_text_model_encoder_layers_0_mlp_fc2.lora_down.weight",
                        "lora_te2_text_model_encoder_layers_0_mlp_fc2"));
        assertEquals("unet.mid_block.attentions.0.proj_in.alpha", KohyaLoraConversion.alphaName(
                "lora_unet_mid_block_attentions_0_proj_in.alpha", "mid_block.attentions.0.proj_in.lora.down.weight"));
        // no ".lora." in an attention name: diffusers keeps the whole name (the peft conversion fixes it later)
        assertEquals("text_encoder.text_model.encoder.layers.0.self_attn.to_q_lora.down.weight.alpha",
                KohyaLoraConversion.alphaName("lora_te1_text_model_encoder_layers_0_self_attn_q_proj.alpha",
                        "text_model.encoder.layers.0.self_attn.to_q_lora.down.weight"));
        assertEquals("text_encoder_2.x.alpha", KohyaLoraConversion.alphaName("lora_te2_x.alpha", "x.lora.down.weight"));
    }

    @Test
    void convertingAKohyaStateDictRoutesComponentsAndAlphas() {
        Map<String, Double> sd = new LinkedHashMap<>();
        sd.put("lora_te1_text_model_encoder_layers_0_self_attn_out_proj.alpha", 2.0);
        sd.put("lora_te1_text_model_encoder_layers_0_self_attn_out_proj.lora_down.weight", 0.0);
        sd.put("lora_te1_text_model_encoder_layers_0_self_attn_out_proj.lora_up.weight", 0.0);
        sd.put("lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", 0.0);
        sd.put("lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_up.weight", 0.0);
        sd.put("lora_unet_mid_block_attentions_0_proj_out.alpha", 4.0);
        sd.put("lora_unet_mid_block_attentions_0_proj_out.lora_down.weight", 0.0);
        sd.put("lora_unet_mid_block_attentions_0_proj_out.lora_up.weight", 0.0);
        KohyaLoraConversion.Converted<Double> c = KohyaLoraConversion.toDiffusers(sd, v -> v, "f");
        assertEquals(List.of("unet.mid_block.attentions.0.proj_out.lora.down.weight",
                "unet.mid_block.attentions.0.proj_out.lora.up.weight",
                "text_encoder.text_model.encoder.layers.0.self_attn.to_out_lora.down.weight",
                "text_encoder.text_model.encoder.layers.0.self_attn.to_out_lora.up.weight",
                "text_encoder_2.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.down.weight",
                "text_encoder_2.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.up.weight"),
                List.copyOf(c.stateDict().keySet()));
        assertEquals(Map.of("text_encoder.text_model.encoder.layers.0.self_attn.to_out_lora.down.weight.alpha", 2.0,
                "unet.mid_block.attentions.0.proj_out.alpha", 4.0), c.networkAlphas());
        assertTrue(KohyaLoraConversion.isKohya(sd.keySet()));
        assertFalse(KohyaLoraConversion.isKohya(List.of("unet.x.lora_A.weight", "lora_unet_y.alpha")));
    }

    @Test
    void leftoverKohyaKeysAreOneErrorListingThem() {
        Map<String, Double> sd = new LinkedHashMap<>();
        sd.put("lora_unet_a_b.hada_w1_a", 0.0);
        sd.put("lora_unet_a_b.hada_w1_b", 0.0);
        sd.put("lora_unet_c.lora_down.weight", 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KohyaLoraConversion.toDiffusers(sd, v -> v, "file.safetensors"));
        assertTrue(e.getMessage().contains("has no lora_unet_c.lora_up.weight"), e.getMessage());
        sd.remove("lora_unet_c.lora_down.weight");
        e = assertThrows(IllegalArgumentException.class,
                () -> KohyaLoraConversion.toDiffusers(sd, v -> v, "file.safetensors"));
        assertTrue(e.getMessage().startsWith("file.safetensors: The following keys have not been correctly renamed: "
                + "lora_unet_a_b.hada_w1_a, lora_unet_a_b.hada_w1_b"), e.getMessage());
    }

    @Test
    void olderAttentionProcessorAndPeftNamesBecomePeftNames() {
        Map<String, Integer> unet = new LinkedHashMap<>();
        unet.put("down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.up.weight", 0);
        unet.put("down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_k_lora.down.weight", 0);
        unet.put("mid_block.attentions.0.proj_in.lora.down.weight", 0);
        assertEquals(List.of("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_B.weight",
                "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.lora_A.weight",
                "mid_block.attentions.0.proj_in.lora_A.weight"),
                List.copyOf(LoraKeyMappings.unetToPeft(unet).keySet()));
        Map<String, Integer> te = new LinkedHashMap<>();
        te.put("text_model.encoder.layers.0.self_attn.to_out_lora.down.weight", 0);
        te.put("text_model.encoder.layers.0.self_attn.to_q_lora.up.weight", 0);
        te.put("text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.down.weight", 0);
        assertEquals(List.of("text_model.encoder.layers.0.self_attn.out_proj.lora_A.weight",
                "text_model.encoder.layers.0.self_attn.q_proj.lora_B.weight",
                "text_model.encoder.layers.0.mlp.fc1.lora_A.weight"),
                List.copyOf(LoraKeyMappings.toPeft(LoraKeyMappings.toDiffusers(te, "f"), "f").keySet()));
        Map<String, Integer> peft = new LinkedHashMap<>();
        peft.put("text_model.encoder.layers.0.self_attn.k_proj.lora_A.weight", 0);
        peft.put("text_model.encoder.layers.0.mlp.fc2.lora_B.weight", 0);
        assertEquals(List.of("text_model.encoder.layers.0.self_attn.k_proj.lora_A.weight",
                "text_model.encoder.layers.0.mlp.fc2.lora_B.weight"),
                List.copyOf(LoraKeyMappings.toPeft(LoraKeyMappings.toDiffusers(peft, "f"), "f").keySet()));
        // diffusers raises for a peft text-encoder state dict with MLP keys only
        Map<String, Integer> mlpOnly = Map.of("text_model.encoder.layers.0.mlp.fc2.lora_B.weight", 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraKeyMappings.toPeft(LoraKeyMappings.toDiffusers(mlpOnly, "f"), "f"));
        assertEquals("f: Could not automatically infer state dict type", e.getMessage());
    }

    @Test
    void sgmBlockNamesMapToDiffusersBlocks() {
        Map<String, Integer> sd = new LinkedHashMap<>();
        sd.put("lora_unet_input_blocks_4_1_proj_in.lora_down.weight", 0);
        sd.put("lora_unet_input_blocks_3_0_op.lora_down.weight", 0);
        sd.put("lora_unet_middle_block_1_proj_out.lora_down.weight", 0);
        sd.put("lora_unet_middle_block_2_in_layers_2.lora_down.weight", 0);
        sd.put("lora_unet_output_blocks_2_2_conv.lora_down.weight", 0);
        sd.put("lora_unet_output_blocks_5_1_transformer_blocks_0_attn1_to_q.lora_down.weight", 0);
        sd.put("lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", 0);
        List<String> keys = List.copyOf(KohyaLoraConversion.mapSgmBlocks(sd, 2, "f").keySet());
        assertEquals(List.of("lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight",
                "lora_unet_input_blocks_0_downsamplers_0_op.lora_down.weight",
                "lora_unet_input_blocks_1_attentions_0_proj_in.lora_down.weight",
                "lora_unet_middle_block_attentions_0_proj_out.lora_down.weight",
                "lora_unet_middle_block_resnets_1_in_layers_2.lora_down.weight",
                "lora_unet_output_blocks_0_upsamplers_0_conv.lora_down.weight",
                "lora_unet_output_blocks_1_attentions_2_transformer_blocks_0_attn1_to_q.lora_down.weight"), keys);
        assertEquals("up_blocks.1.attentions.2.transformer_blocks.0.attn1.processor.to_q_lora.down.weight",
                KohyaLoraConversion.unetKey(keys.get(6)));
        assertEquals("down_blocks.0.downsamplers.0.conv.lora.down.weight", KohyaLoraConversion.unetKey(keys.get(1)));
    }

    @Test
    void defaultAlphaIsTheFirstRankOrTheMostCommonAlpha() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("a.lora_B.weight", 8);
        ranks.put("b.lora_B.weight", 4);
        ranks.put("c.lora_B.weight", 4);
        Map<String, Double> pattern = new LinkedHashMap<>();
        assertEquals(8.0, LoraStateDict.defaultAlpha(ranks, null, pattern, true), "no alphas: the first rank");
        Map<String, Double> alphas = new LinkedHashMap<>();
        alphas.put("a.lora_A.weight.alpha", 1.0);
        alphas.put("b.alpha", 2.0);
        alphas.put("c.alpha", 2.0);
        assertEquals(2.0, LoraStateDict.defaultAlpha(ranks, alphas, pattern, true));
        assertEquals(Map.of("a", 1.0), pattern, "UNet pattern keys: the module name");
        Map<String, Double> te = new LinkedHashMap<>();
        te.put("text_model.encoder.layers.0.self_attn.to_q_lora.down.weight.alpha", 1.0);
        te.put("text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.down.weight.alpha", 3.0);
        te.put("text_model.encoder.layers.1.mlp.fc1.lora_linear_layer.down.weight.alpha", 1.0);
        pattern.clear();
        assertEquals(1.0, LoraStateDict.defaultAlpha(ranks, te, pattern, false), "ties: the first seen");
        assertEquals(Map.of("text_model.encoder.layers.0.mlp.fc1", 3.0), pattern);
        te.put("text_model.encoder.layers.0.self_attn.to_q_lora.down.weight.alpha", 3.0);
        te.put("text_model.encoder.layers.2.mlp.fc1.lora_linear_layer.down.weight.alpha", 3.0);
        pattern.clear();
        assertEquals(3.0, LoraStateDict.defaultAlpha(ranks, te, pattern, false));
        // an attention projection's pattern key is its "self_attn" module: it never matches a projection
        assertEquals(Map.of("text_model.encoder.layers.1.mlp.fc1", 1.0), pattern);
    }
}
