// `diffusers4j plan`: a dataset plan's counts and first prompts, without a model or Spark.
package io.diffusers4j.cli;

import io.diffusers4j.job.plan.DatasetPlan;
import io.diffusers4j.job.plan.PlanFiles;
import io.diffusers4j.job.plan.PlanParser;
import io.diffusers4j.job.plan.PlanPreview;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** Prints the total and per-template counts and the first N resolved prompts (id, seed, prompt, parameters). */
@Command(name = "plan", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = {"Check a dataset plan (JSON or HOCON) and print its counts and first prompts: what "
                + "`diffusers4j job --plan PLAN` would render, without loading a model or starting Spark.",
            "A bad plan is one line naming the plan file and the key, exit 2."})
public final class PlanCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PLAN", description = "the plan file (a local path or any Hadoop URI)")
    String plan;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "10",
            description = "resolved prompts to print (default ${DEFAULT-VALUE})")
    long limit;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (limit < 0 || limit > 100_000) {
            throw new UsageException("--limit must be in [0, 100000], got " + limit);
        }
        DatasetPlan p = PlanParser.parse(new PlanFiles(new Configuration(), plan));
        PlanPreview preview = new PlanPreview(p, limit);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? preview.json() + "\n" : preview.text());
        out.flush();
        return 0;
    }
}
