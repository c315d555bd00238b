// Test helper: plan files in a temporary folder, parsed as the job and the plan command parse them.
package io.diffusers4j.job.plan;

import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

final class PlanFixtures {
    private PlanFixtures() {
    }

    static Path write(Path dir, String name, String text) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, text, StandardCharsets.UTF_8);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DatasetPlan parse(Path plan) {
        return PlanParser.parse(new PlanFiles(new Configuration(), plan.toString()));
    }

    /** Writes {@code plan.json} in {@code dir} and parses it. */
    static DatasetPlan plan(Path dir, String json) {
        return parse(write(dir, "plan.json", json));
    }

    /** Every prompt of a plan, in order. */
    static List<PlanRow> all(DatasetPlan plan) {
        long[] sample = plan.sample();
        List<PlanRow> rows = new ArrayList<>();
        for (long i = 0; i < plan.prompts(); i++) {
            rows.add(plan.row(DatasetPlan.keyAt(i, sample)));
        }
        return rows;
    }

    static List<String> prompts(DatasetPlan plan) {
        return all(plan).stream().map(PlanRow::prompt).toList();
    }
}
