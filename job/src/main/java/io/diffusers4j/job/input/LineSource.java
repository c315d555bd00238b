// Reads text files as lines numbered within their own file, independent of how Spark splits the files.
package io.diffusers4j.job.input;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The lines of a file or a folder of files (Hadoop {@code TextInputFormat}: local paths, HDFS, S3...,
 * compressed files included), each with its file and its 1-based line number <em>within that file</em>.
 *
 * <p>Line numbers must not depend on how Spark splits the input (they feed derived ids, which resume relies on),
 * so they are computed in two passes, like {@code zipWithIndex} but per file: a first job counts the lines of
 * every split (and keeps the first line of every file, for CSV headers), the driver turns the counts into the
 * starting line of each split, and the second pass numbers lines from there. Only counts travel to the driver,
 * never rows.
 */
public final class LineSource {
    /** One line of input: the file's full path, its 1-based number in that file and its text (no line break). */
    public record Line(String file, long number, String text) implements Serializable {
        /** The file's base name. */
        public String source() {
            int slash = file.lastIndexOf('/');
            return slash < 0 ? file : file.substring(slash + 1);
        }
    }

    /** Every line (blank ones included) and the first line of each file. */
    public record Lines(JavaRDD<Line> lines, Map<String, String> firstLines) {
    }

    private record SplitStat(String file, long start, long count, String firstLine) implements Serializable {
    }

    private LineSource() {
    }

    public static Lines read(SparkSession spark, String path) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = new Configuration(jsc.hadoopConfiguration());
        conf.set("mapreduce.input.fileinputformat.input.dir.recursive", "true");
        requireExists(conf, path);
        @SuppressWarnings("unchecked")
        JavaNewHadoopRDD<LongWritable, Text> rdd = (JavaNewHadoopRDD<LongWritable, Text>)
                jsc.newAPIHadoopFile(path, TextInputFormat.class, LongWritable.class, Text.class, conf);

        List<SplitStat> stats = rdd.<SplitStat>mapPartitionsWithInputSplit((split, it) -> {
            FileSplit fs = (FileSplit) split;
            long count = 0;
            String first = null;
            while (it.hasNext()) {
                Tuple2<LongWritable, Text> t = it.next();
                if (count == 0 && fs.getStart() == 0) {
                    first = stripBom(t._2().toString());
                }
                count++;
            }
            return List.of(new SplitStat(fs.getPath().toString(), fs.getStart(), count, first)).iterator();
        }, false).collect();

        Map<String, Long> firstLineOfSplit = new HashMap<>();
        Map<String, String> firstLines = new HashMap<>();
        Map<String, List<SplitStat>> byFile = new HashMap<>();
        for (SplitStat s : stats) {
            byFile.computeIfAbsent(s.file(), k -> new ArrayList<>()).add(s);
            if (s.start() == 0 && s.firstLine() != null) {
                firstLines.put(s.file(), s.firstLine());
            }
        }
        for (List<SplitStat> splits : byFile.values()) {
            splits.sort(Comparator.comparingLong(SplitStat::start));
            long next = 1;
            for (SplitStat s : splits) {
                firstLineOfSplit.put(key(s.file(), s.start()), next);
                next += s.count();
            }
        }
        Broadcast<Map<String, Long>> starts = jsc.broadcast(firstLineOfSplit);
        JavaRDD<Line> lines = rdd.<Line>mapPartitionsWithInputSplit((split, it) -> {
            FileSplit fs = (FileSplit) split;
            String file = fs.getPath().toString();
            Long first = starts.value().get(key(file, fs.getStart()));
            if (first == null) {
                throw new IllegalStateException("input changed while the job ran: no line count for " + file
                        + " at offset " + fs.getStart());
            }
            boolean atFileStart = fs.getStart() == 0;
            return new Iterator<Line>() {
                long number = first;

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Line next() {
                    Tuple2<LongWritable, Text> t = it.next();
                    String text = t._2().toString();
                    if (atFileStart && number == 1) {
                        text = stripBom(text);
                    }
                    return new Line(file, number++, text);
                }
            };
        }, false);
        return new Lines(lines, firstLines);
    }

    private static String key(String file, long start) {
        return file + "@" + start;
    }

    private static String stripBom(String s) {
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    static void requireExists(Configuration conf, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("prompts path " + path + " does not exist");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompts path " + path, e);
        }
    }
}
