// Nbformat4 reports what breaks the nbformat 4.5 schema essentials.
package io.diffusers4j.notebooks;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Nbformat4Test {

    @Test
    void aConformingNotebookHasNoProblems() {
        assertEquals(List.of(), Nbformat4.problems(parse("""
                {"cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": ["x;\\n", "y;"],
                  "execution_count": 1, "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["a\\n"]},
                    {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR",
                     "text/plain": ["[image 1x1]"]}}]},
                 {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# t"}],
                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""")));
    }

    @Test
    void missingOutputsUnknownOutputTypesAndForbiddenKeysAreProblems() {
        List<String> problems = Nbformat4.problems(parse("""
                {"cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": "x", "execution_count": null},
                 {"cell_type": "code", "id": "c 2", "metadata": {}, "source": "x", "execution_count": 1.5,
                  "outputs": [{"output_type": "png"}, {"output_type": "stream", "name": "stdout", "text": "t",
                   "transient": {}}]}],
                 "metadata": {}, "nbformat": 4, "nbformat_minor": 4}"""));
        assertEquals(List.of("nbformat_minor < 5 (cell ids need 4.5)",
                "cell 0: no outputs array",
                "cell 1: id missing or not [a-zA-Z0-9_-]{1,64}",
                "cell 1: execution_count is not an integer or null",
                "cell 1: output 0: output_type png",
                "cell 1: output 1: key transient is not allowed"), problems);
    }

    private static JsonObject parse(String json) {
        return JsonParser.parseString(json).getAsJsonObject();
    }
}
