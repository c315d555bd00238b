// CSV prompt files: a header line naming the fields, then one prompt row a line.
package io.diffusers4j.job.input;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CSV with a header line in every file (its names are the fields, e.g. {@code id,prompt,seed}; unknown columns
 * are ignored). Values are text (empty = not given); the validator parses numbers. A row whose field count
 * differs from the header's, or with broken quoting, is malformed. A record must fit on one line.
 */
public final class CsvPromptReader implements PromptReader {
    @Override
    public JavaRDD<RawRecord> read(SparkSession spark, String path) {
        LineSource.Lines lines = LineSource.read(spark, path);
        Broadcast<Map<String, String>> headers = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(new HashMap<>(lines.firstLines()));
        return lines.lines()
                .filter(l -> l.number() > 1 && !l.text().isBlank())
                .map(l -> parse(headers.value().get(l.file()), l.source(), l.number(), l.text()));
    }

    /** Parses one data line against its file's header line (public for unit tests). */
    public static RawRecord parse(String headerLine, String source, long number, String line) {
        if (headerLine == null || headerLine.isBlank()) {
            return RawRecord.malformed(source, number, line, "CSV: the file has no header line");
        }
        List<String> names;
        try {
            names = CsvLine.split(headerLine).stream().map(String::trim).toList();
        } catch (IllegalArgumentException e) {
            return RawRecord.malformed(source, number, line, "CSV header: " + e.getMessage());
        }
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            if (!seen.add(name)) {
                return RawRecord.malformed(source, number, line, "CSV header: column \"" + name + "\" appears twice");
            }
        }
        List<String> values;
        try {
            values = CsvLine.split(line);
        } catch (IllegalArgumentException e) {
            return RawRecord.malformed(source, number, line, "CSV: " + e.getMessage());
        }
        if (values.size() != names.size()) {
            return RawRecord.malformed(source, number, line, "CSV: " + values.size() + " fields, the header has "
                    + names.size());
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (!values.get(i).isEmpty()) {
                fields.put(names.get(i), values.get(i));
            }
        }
        return RawRecord.parsed(source, number, line, fields);
    }
}
