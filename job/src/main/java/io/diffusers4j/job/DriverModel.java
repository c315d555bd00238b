// The job's model, resolved and checked once on the driver before Spark starts; executors pinned to its commit.
package io.diffusers4j.job;

import ai.djl.Device;
import io.diffusers4j.hub.HubCache;
import io.diffusers4j.hub.HubException;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.rows.JobDefaults;
import io.diffusers4j.job.rows.RowValidator;
import io.diffusers4j.models.nn.Bf16Support;
import io.diffusers4j.pipelines.CallArgument;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.PipelineRegistry;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.schedulers.SchedulerConfig;
import io.diffusers4j.schedulers.Schedulers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * What the driver does with {@code --model} before any task runs, so that a model that cannot be used fails the
 * run at once with one line (exit code 2) instead of every task attempt on every executor:
 * <ul>
 *   <li>the scheduler name, and a local folder's {@code model_index.json}, component classes and configs (JSON only,
 *       no weights), the components left out ({@code --without-component}), the scheduler name in the checkpoint's
 *       family, and that its pipeline renders a text prompt (or, for a pipeline that draws without a prompt, a row
 *       without one: {@link #promptRequired});</li>
 *   <li>a Hub id is resolved here, once, through the HF cache: the Hub's answer (or, when it cannot be reached, a
 *       cached snapshot; else generate's message: the Hub cannot be reached and there is no cached snapshot), then
 *       the same checks on its files. The executors are pinned to the commit the driver resolved
 *       ({@code revision} = that commit), so every executor renders the same snapshot even if the branch moves
 *       during the run, and the output's {@code revision} column records it.</li>
 * </ul>
 * Where the executors share the driver's disk (a local master), the driver downloads the snapshot and the
 * executors load it from the cache without contacting the Hub ({@code local-files-only}). On a cluster the
 * executors have their own disks and download the pinned commit into their own HF cache: the driver then fetches
 * the repo's listing and its configuration files only, never the weights.
 */
public final class DriverModel {
    private static final Logger LOG = LoggerFactory.getLogger(DriverModel.class);

    private DriverModel() {
    }

    /**
     * Checks {@code spec}'s model and returns the spec the executors get: pinned to the resolved commit for a Hub
     * model, unchanged otherwise.
     *
     * @param sharedDisk the executors run on this machine (a local master)
     * @param hub        Hub settings (endpoint, cache, retries); null = the environment's
     * @throws IllegalArgumentException a model that cannot be used, with one line saying why
     */
    public static PipelineSpec prepare(PipelineSpec spec, boolean sharedDisk, HubOptions hub) {
        if (spec.scheduler() != null) {
            Schedulers.resolve(spec.scheduler());
        }
        if (sharedDisk && spec.dtype().equals("bfloat16")) {
            Bf16Support.require(Device.cpu()); // the executors run on this CPU
        }
        String model = spec.model();
        checkModel(model, sharedDisk);
        checkVae(spec, sharedDisk, hub);
        if (!spec.renderer().equals(PipelineSpec.DEFAULT_RENDERER)) {
            return spec;
        }
        PipelineOptions options = options(spec, hub);
        if (model == null) {
            if (spec.scheduler() != null || !spec.withoutComponents().isEmpty()) {
                checkFolder(PipelineSpec.EMBEDDED_MODEL, TinyPipeline.defaultModel(), options, spec.scheduler());
            }
            return spec;
        }
        if (isFolder(model)) {
            checkFolder(model, Path.of(model), options, spec.scheduler());
            return spec;
        }
        if (!isHubId(model)) {
            return spec; // a folder only the executors have (checkModel warned)
        }
        Path snapshot;
        try {
            snapshot = sharedDisk ? DiffusionPipeline.resolve(model, options)
                    : DiffusionPipeline.resolveConfigs(model, options);
        } catch (HubException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        checkFolder(model, snapshot, options, spec.scheduler());
        String commit = snapshot.getFileName().toString();
        if (!HubCache.isCommitHash(commit)) {
            LOG.warn("--model {}: the snapshot folder {} is not named by a commit; executors resolve the revision "
                    + "themselves", model, snapshot);
            return spec;
        }
        LOG.info("--model {}: revision {} is commit {}{}", model, spec.revision() == null ? "main" : spec.revision(),
                commit, sharedDisk ? " (downloaded on the driver; executors load it from the cache)" : "");
        PipelineSpec pinned = spec.withRevision(commit);
        return sharedDisk ? pinned.withOption("local-files-only", "true") : pinned;
    }

    private static PipelineOptions options(PipelineSpec spec, HubOptions hub) {
        return spec.loadingOptions().hubOptions(hub);
    }

    /**
     * {@code --vae}: its config names a VAE class and fits its limits, before Spark starts. A Hub id is downloaded
     * whole on the driver when the executors share its disk (they then load it offline), else only its config.json.
     */
    private static void checkVae(PipelineSpec spec, boolean sharedDisk, HubOptions hub) {
        String vae = spec.options().get("vae");
        if (vae == null || !spec.renderer().equals(PipelineSpec.DEFAULT_RENDERER)) {
            return;
        }
        PipelineOptions options = new PipelineOptions().localFilesOnly(spec.option("local-files-only", false))
                .hubOptions(hub);
        try {
            DiffusionPipeline.checkVae(vae, options, sharedDisk);
        } catch (HubException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--vae " + vae + ": " + e.getMessage(), e);
        }
    }

    /**
     * The checks of a pipeline folder without weights: configs, classes, the components left out
     * ({@code without-component}: keys of its model_index.json), the job-wide scheduler in the checkpoint's family
     * (on SD3 / FLUX a flow-matching one, elsewhere not: {@link Schedulers#create}), and that it renders the job's
     * rows: a text prompt, or for a pipeline that takes no prompt (DDPM, DDIM, Dance Diffusion) a row without one.
     */
    private static void checkFolder(String model, Path dir, PipelineOptions options, String scheduler) {
        DiffusionPipeline.checkPretrained(dir, options);
        SchedulerConfig own = DiffusionPipeline.schedulerConfig(dir);
        if (scheduler != null && own != null) {
            Schedulers.create(scheduler, own).close();
        }
        boolean prompted = takesPrompt(DiffusionPipeline.registeredFor(dir, new PipelineCall()));
        try {
            DiffusionPipeline.checkCall(dir, prompted ? new PipelineCall().prompt("a prompt row") : new PipelineCall());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model " + model + " cannot render the job's "
                    + (prompted ? "text prompts: " : "rows: ") + e.getMessage(), e);
        }
    }

    private static boolean takesPrompt(PipelineRegistry.Entry runs) {
        return runs == null || runs.accepted().contains(CallArgument.PROMPT);
    }

    /**
     * Whether the rows of a job on {@code prepared} (a spec {@link #prepare} returned) must have a prompt: what the
     * model's pipeline requires ({@code requiredArguments}, read from its {@code model_index.json} on the driver).
     * True for the embedded default, a test renderer, a custom pipeline class and a folder only the executors
     * have; false for the pipelines that draw without a prompt, whose rows need only an id and a seed.
     */
    public static boolean promptRequired(PipelineSpec prepared) {
        Path dir = configFolder(prepared);
        return dir == null || promptRequired(dir);
    }

    private static boolean promptRequired(Path dir) {
        PipelineRegistry.Entry runs = DiffusionPipeline.registeredFor(dir, new PipelineCall());
        return runs == null || runs.required().contains(CallArgument.PROMPT);
    }

    /**
     * The validator of the rows of a job on {@code prepared} (a spec {@link #prepare} returned), with what the driver
     * read in the model's configs: whether a row needs a prompt ({@link #promptRequired}), and the scheduler
     * family a row's {@code scheduler} is resolved in ({@link Schedulers#resolve(String,
     * io.diffusers4j.config.ConfigBase)} on the checkpoint's scheduler config: a name of the other family is that
     * row's error). Where the driver cannot read the configs (the embedded default, a test renderer, a folder only
     * the executors have), rows need a prompt and their scheduler names are checked without a checkpoint.
     */
    public static RowValidator rowValidator(PipelineSpec prepared, JobDefaults defaults) {
        Path dir = configFolder(prepared);
        if (dir == null) {
            return new RowValidator(defaults, true, null);
        }
        SchedulerConfig own = DiffusionPipeline.schedulerConfig(dir);
        return new RowValidator(defaults, promptRequired(dir), own == null ? null : Schedulers.isFlowMatching(own));
    }

    /** The folder with the configs of {@code prepared}'s model on the driver, or null where there is none. */
    private static Path configFolder(PipelineSpec prepared) {
        String model = prepared.model();
        if (model == null || !prepared.renderer().equals(PipelineSpec.DEFAULT_RENDERER)) {
            return null;
        }
        if (isFolder(model)) {
            return Path.of(model);
        }
        if (!isHubId(model)) {
            return null;
        }
        try {
            return DiffusionPipeline.resolveConfigs(model, options(prepared, null));
        } catch (RuntimeException e) {
            LOG.warn("--model {}: cannot read its model_index.json on the driver ({}); rows need a prompt and their "
                    + "scheduler names are checked without the checkpoint", model, e.toString());
            return null;
        }
    }

    /**
     * A user error in {@code --model} is reported on the driver before Spark starts work, as one line: a folder
     * without {@code model_index.json}, or (in local mode, where the driver's files are the executors') a string
     * that is neither a folder nor a Hub id. On a cluster a non-folder non-Hub-id may still be a folder that only
     * the executors have, so it is only warned about.
     */
    static void checkModel(String model, boolean local) {
        if (model == null) {
            return;
        }
        if (isFolder(model)) {
            if (!Files.isRegularFile(Path.of(model).resolve("model_index.json"))) {
                throw new IllegalArgumentException("--model " + model + ": the folder has no model_index.json (a "
                        + "diffusers pipeline folder, as save_pretrained writes it, has one)");
            }
            return;
        }
        try {
            HubCache.validateRepoId(model);
        } catch (IllegalArgumentException e) {
            if (local) {
                throw new IllegalArgumentException("--model " + model + ": no such folder, and not a Hub id ("
                        + e.getMessage() + ")");
            }
            LOG.warn("--model {} is not a folder on the driver and not a Hub id: every executor must have it as a "
                    + "local folder", model);
        }
    }

    private static boolean isFolder(String model) {
        try {
            return Files.isDirectory(Path.of(model));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static boolean isHubId(String model) {
        try {
            HubCache.validateRepoId(model);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
