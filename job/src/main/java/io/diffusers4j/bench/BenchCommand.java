// `diffusers4j bench`: the project's performance instrument (see docs/performance.md).
package io.diffusers4j.bench;

import io.diffusers4j.cli.Command;

/**
 * Measures a pipeline in one run and prints the figures (and with {@code --json} one JSON object as the last line
 * of stdout); progress goes to stderr. Targets are judged from this output, never in unit tests.
 */
public final class BenchCommand implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "measure speed and memory: stages, UNet op split, machine reference, load, Spark job";
    }

    @Override
    public String help() {
        return BenchOptions.HELP;
    }

    @Override
    public int run(String[] args) throws Exception {
        BenchOptions o = BenchOptions.parse(args);
        BenchReport r = Benchmark.run(o, System.err);
        System.out.print("diffusers4j bench" + r.text());
        if (o.json()) {
            System.out.println(r.json());
        }
        System.out.flush();
        return 0;
    }
}
