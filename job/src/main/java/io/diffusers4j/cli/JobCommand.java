// `diffusers4j job`: the Spark batch generation job (io.diffusers4j.job.JobMain).
package io.diffusers4j.cli;

import io.diffusers4j.job.CommandLine;
import io.diffusers4j.job.JobMain;

/** Runs the Spark job in this JVM (local mode by default, or against --master). */
public final class JobCommand implements Command {
    @Override
    public String name() {
        return "job";
    }

    @Override
    public String summary() {
        return "render a prompt dataset with Spark and write images + metadata as Parquet";
    }

    @Override
    public String help() {
        return CommandLine.USAGE;
    }

    @Override
    public int run(String[] args) {
        return JobMain.run(args, System.out, System.err);
    }
}
