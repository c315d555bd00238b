// What transformers' PretrainedConfig files share: the model class in `architectures`, no `_class_name`.
package io.diffusers4j.config;

import com.google.gson.JsonObject;

import java.util.List;

/**
 * A transformers {@code config.json} (CLIP text, T5): transformers writes no {@code _class_name}, the model class is
 * the first of {@code architectures}; {@link #toJson()} leaves {@code _class_name} out unless the file had it.
 */
public abstract class TransformersConfig extends ConfigBase {
    public List<String> architectures = null;

    /** The model class when the file names none in {@code architectures}. */
    protected abstract String fallbackClassName();

    @Override
    public String defaultClassName() {
        return architectures == null || architectures.isEmpty() ? fallbackClassName() : architectures.get(0);
    }

    /** The JSON form transformers writes: no {@code _class_name} unless the source file carried one. */
    @Override
    public JsonObject toJson() {
        JsonObject json = super.toJson();
        if (!metadata().containsKey("_class_name")) {
            json.remove("_class_name");
        }
        return json;
    }
}
