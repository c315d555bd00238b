// What transformers' CLIPTextModel and CLIPTextModelWithProjection share: the text tower and the weights they own.
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

import java.util.Map;

/**
 * The {@code text_model} tower, the optional {@code text_projection} applied to the pooled output, the root scope
 * that holds the state dict, and the weights' manager when the model owns it (null when the caller does).
 */
abstract class AbstractCLIPTextModel implements CLIPTextEncoder {
    private final CLIPTextTransformer textModel;
    private final Linear textProjection;
    private final WeightScope root;
    private final NDManager owned;
    private volatile LoraLayers loraLayers;

    AbstractCLIPTextModel(CLIPTextTransformer textModel, Linear textProjectionOrNull, WeightScope root,
                          NDManager owned) {
        this.textModel = textModel;
        this.textProjection = textProjectionOrNull;
        this.root = root;
        this.owned = owned;
    }

    @Override
    public CLIPTextOutput forward(NDArray inputIds, NDArray attentionMaskOrNull, boolean outputHiddenStates) {
        return textModel.forward(inputIds, attentionMaskOrNull, outputHiddenStates, textProjection);
    }

    @Override
    public NDArray finalLayerNorm(NDArray hiddenState) {
        return textModel.finalLayerNorm(hiddenState);
    }

    @Override
    public CLIPTextConfig config() {
        return textModel.config();
    }

    @Override
    public Map<String, NDArray> stateDict() {
        return root.tensors();
    }

    @Override
    public LoraLayers loraLayers() {
        LoraLayers l = loraLayers;
        if (l == null) {
            synchronized (this) {
                if (loraLayers == null) {
                    loraLayers = new LoraLayers("text_encoder", LoraLayers.targetsOf(root.modules()));
                }
                l = loraLayers;
            }
        }
        return l;
    }

    @Override
    public long appendTokenEmbeddings(NDArray rows) {
        return textModel.appendTokenEmbeddings(rows);
    }

    @Override
    public void truncateTokenEmbeddings(long rows) {
        textModel.truncateTokenEmbeddings(rows);
    }

    @Override
    public long tokenEmbeddingRows() {
        return textModel.tokenEmbeddingRows();
    }

    @Override
    public AttentionOptions attentionOptions() {
        return textModel.attentionOptions();
    }

    @Override
    public void close() {
        if (loraLayers != null) {
            loraLayers.close();
        }
        if (owned != null) {
            owned.close();
        }
    }
}
