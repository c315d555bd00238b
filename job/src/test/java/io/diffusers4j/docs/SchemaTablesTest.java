// The READMEs' input and output tables name every field the job reads and every column it writes.
package io.diffusers4j.docs;

import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.job.rows.PromptFields;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Names in backticks in the first cell of the READMEs' table rows, against {@link PromptFields} and {@link OutputSchema}. */
class SchemaTablesTest {
    private static final Pattern CODE = Pattern.compile("`([a-z_0-9]+)`");

    @Test
    void readmeInputTableNamesEveryField() throws IOException {
        assertEquals(Set.of(), missing("README.md", PromptFields.ALL));
    }

    @Test
    void jobReadmeTablesNameEveryFieldAndColumn() throws IOException {
        assertEquals(Set.of(), missing("job/README.md", PromptFields.ALL));
        assertEquals(Set.of(), missing("job/README.md", OutputSchema.COLUMNS));
    }

    private static Set<String> missing(String file, List<String> names) throws IOException {
        Set<String> named = new TreeSet<>();
        for (String line : Files.readAllLines(SupportedTableTest.ROOT.resolve(file), StandardCharsets.UTF_8)) {
            String[] cells = line.split("\\|");
            if (line.startsWith("|") && cells.length > 1) {
                Matcher m = CODE.matcher(cells[1]);
                while (m.find()) {
                    named.add(m.group(1));
                }
            }
        }
        Set<String> out = new TreeSet<>(names);
        out.removeAll(named);
        return out;
    }
}
