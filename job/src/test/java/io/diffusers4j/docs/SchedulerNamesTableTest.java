// The README's "Scheduler names" table against the schedulers' name table: every name it shows, both ways.
package io.diffusers4j.docs;

import io.diffusers4j.schedulers.SchedulerChoice;
import io.diffusers4j.schedulers.SchedulerNames;
import io.diffusers4j.schedulers.Schedulers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows of the first table after {@code ### Scheduler names}: web UI names (first cell, comma-separated), ComfyUI
 * samplers (backticked in the second cell), the diffusers class (third cell) and the {@code key=value} settings the
 * name makes (fourth cell; {@code false / true} for a plain and a Karras name).
 */
class SchedulerNamesTableTest {
    private static List<String[]> rows() throws IOException {
        List<String> lines = Files.readAllLines(SupportedTableTest.ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        int i = lines.indexOf("### Scheduler names");
        assertTrue(i > 0, "README.md has a '### Scheduler names' section");
        while (!lines.get(i).startsWith("|")) {
            i++;
        }
        List<String[]> rows = new ArrayList<>();
        for (i += 2; lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|", -1);
            assertEquals(6, cells.length, "4 columns: " + lines.get(i));
            rows.add(cells);
        }
        return rows;
    }

    @Test
    void everyNameInTheTableResolvesToItsClassAndSettings() throws IOException {
        TreeSet<String> a1111 = new TreeSet<>();
        TreeSet<String> comfy = new TreeSet<>();
        for (String[] cells : rows()) {
            String className = cells[3].strip();
            List<String> settings = new ArrayList<>();
            for (String setting : SupportedTableTest.ticked(cells[4])) {
                for (String keyValue : setting.split(" ")) {
                    if (keyValue.contains("=")) {
                        settings.add(keyValue);
                    }
                }
            }
            for (String name : cells[1].split(",")) {
                if (!name.isBlank()) {
                    a1111.add(name.strip());
                    check(name.strip(), className, settings);
                }
            }
            for (String name : SupportedTableTest.ticked(cells[2])) {
                if (!name.contains("=")) {
                    comfy.add(name);
                    check(name, className, settings);
                }
            }
        }
        assertEquals(new TreeSet<>(SchedulerNames.a1111Names()), a1111, "the web UI names the table shows");
        assertEquals(new TreeSet<>(SchedulerNames.comfySamplers()), comfy, "the ComfyUI samplers the table shows");
    }

    /** {@code name} builds {@code className} and sets each table setting (a "false" one only for non-Karras names). */
    private static void check(String name, String className, List<String> settings) {
        SchedulerChoice choice = Schedulers.resolve(name);
        assertEquals(className, choice.className(), name);
        for (String setting : settings) {
            if (setting.equals("use_karras_sigmas=false")) {
                boolean karras = name.endsWith("Karras");
                assertTrue(choice.overrides().contains("use_karras_sigmas=" + karras), name + ": " + choice);
            } else if (!name.startsWith("uni_pc_bh2") || !setting.startsWith("solver_type")) {
                assertTrue(choice.overrides().contains(setting), name + ": " + setting + " in " + choice);
            }
        }
    }
}
