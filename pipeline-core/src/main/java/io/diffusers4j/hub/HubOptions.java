// The keyword arguments of huggingface_hub.hf_hub_download / snapshot_download and diffusers' from_pretrained
// (revision, local_files_only, force_download, token, endpoint, cache_dir, allow_patterns, variant, use_safetensors).
package io.diffusers4j.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Options of a Hub resolution. Unset values fall back to the {@link HubEnvironment} (token, endpoint, cache,
 * offline mode). Immutable; build with {@link #builder()}. The token never appears in {@link #toString()}.
 */
public final class HubOptions {
    public static final String DEFAULT_REVISION = "main";

    private final String revision;
    private final Boolean localFilesOnly;
    private final boolean forceDownload;
    private final String token;
    private final boolean noToken;
    private final String endpoint;
    private final Path cacheDir;
    private final List<String> allowPatterns;
    private final List<String> ignorePatterns;
    private final String variant;
    private final Boolean useSafetensors;
    private final HubEnvironment environment;
    private final int maxRetries;
    private final Duration retryBaseDelay;
    private final Duration retryMaxDelay;
    private final Duration connectTimeout;
    private final Duration metadataTimeout;
    private final Duration readTimeout;

    private HubOptions(Builder b) {
        this.revision = b.revision;
        this.localFilesOnly = b.localFilesOnly;
        this.forceDownload = b.forceDownload;
        this.token = HubEnvironment.clean(b.token);
        this.noToken = b.noToken;
        this.endpoint = b.endpoint == null ? null : HubEnvironment.stripTrailingSlash(b.endpoint);
        this.cacheDir = b.cacheDir;
        this.allowPatterns = b.allowPatterns == null ? null : List.copyOf(b.allowPatterns);
        this.ignorePatterns = b.ignorePatterns == null ? null : List.copyOf(b.ignorePatterns);
        this.variant = b.variant;
        this.useSafetensors = b.useSafetensors;
        this.environment = b.environment;
        this.maxRetries = b.maxRetries;
        this.retryBaseDelay = b.retryBaseDelay;
        this.retryMaxDelay = b.retryMaxDelay;
        this.connectTimeout = b.connectTimeout;
        this.metadataTimeout = b.metadataTimeout;
        this.readTimeout = b.readTimeout;
        HubCache.validateRevision(revision);
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
        }
        if (forceDownload && Boolean.TRUE.equals(localFilesOnly)) {
            throw new IllegalArgumentException("cannot pass forceDownload=true and localFilesOnly=true at the same time");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options with every default (revision main, environment from the process). */
    public static HubOptions defaults() {
        return builder().build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.revision = revision;
        b.localFilesOnly = localFilesOnly;
        b.forceDownload = forceDownload;
        b.token = token;
        b.noToken = noToken;
        b.endpoint = endpoint;
        b.cacheDir = cacheDir;
        b.allowPatterns = allowPatterns;
        b.ignorePatterns = ignorePatterns;
        b.variant = variant;
        b.useSafetensors = useSafetensors;
        b.environment = environment;
        b.maxRetries = maxRetries;
        b.retryBaseDelay = retryBaseDelay;
        b.retryMaxDelay = retryMaxDelay;
        b.connectTimeout = connectTimeout;
        b.metadataTimeout = metadataTimeout;
        b.readTimeout = readTimeout;
        return b;
    }

    public String revision() {
        return revision;
    }

    /** True when no network call may be made: {@code localFilesOnly}, or {@code HF_HUB_OFFLINE=1} when unset. */
    public boolean offline() {
        return localFilesOnly != null ? localFilesOnly : environment.offline();
    }

    /** Whether offline mode came from the environment rather than the option (for error messages). */
    boolean offlineFromEnvironment() {
        return localFilesOnly == null && environment.offline();
    }

    public boolean forceDownload() {
        return forceDownload;
    }

    /** The token to send (option, else environment), or null. Package-private: never printed. */
    String effectiveToken() {
        if (noToken) {
            return null;
        }
        return token != null ? token : environment.token();
    }

    /** True when a token will be sent to the endpoint. */
    public boolean hasToken() {
        return effectiveToken() != null;
    }

    public String endpoint() {
        return endpoint != null ? endpoint : environment.endpoint();
    }

    public Path cacheDir() {
        return cacheDir != null ? cacheDir : environment.hubCache();
    }

    /** fnmatch patterns of the files to download; null means "what the pipeline needs" (see PipelineFiles). */
    public List<String> allowPatterns() {
        return allowPatterns;
    }

    public List<String> ignorePatterns() {
        return ignorePatterns;
    }

    public String variant() {
        return variant;
    }

    public Boolean useSafetensors() {
        return useSafetensors;
    }

    public HubEnvironment environment() {
        return environment;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration retryBaseDelay() {
        return retryBaseDelay;
    }

    public Duration retryMaxDelay() {
        return retryMaxDelay;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration metadataTimeout() {
        return metadataTimeout;
    }

    /** Longest wait for the next bytes of a download before the connection counts as dropped. */
    public Duration readTimeout() {
        return readTimeout;
    }

    @Override
    public String toString() {
        return "HubOptions[revision=" + revision + ", offline=" + offline() + ", forceDownload=" + forceDownload
                + ", token=" + (hasToken() ? "<set>" : "<none>") + ", endpoint=" + endpoint() + ", cacheDir="
                + cacheDir() + ", allowPatterns=" + allowPatterns + ", ignorePatterns=" + ignorePatterns
                + ", variant=" + variant + ", useSafetensors=" + useSafetensors + ", maxRetries=" + maxRetries + "]";
    }

    /** Builder of {@link HubOptions}. */
    public static final class Builder {
        private String revision = DEFAULT_REVISION;
        private Boolean localFilesOnly;
        private boolean forceDownload;
        private String token;
        private boolean noToken;
        private String endpoint;
        private Path cacheDir;
        private List<String> allowPatterns;
        private List<String> ignorePatterns;
        private String variant;
        private Boolean useSafetensors;
        private HubEnvironment environment = HubEnvironment.system();
        private int maxRetries = 5;
        private Duration retryBaseDelay = Duration.ofSeconds(1);
        private Duration retryMaxDelay = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration metadataTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /** Branch, tag or commit hash (default {@code main}). */
        public Builder revision(String revision) {
            this.revision = revision == null ? DEFAULT_REVISION : revision;
            return this;
        }

        /** true: only the cache is used; false: network allowed even if HF_HUB_OFFLINE=1; null: environment. */
        public Builder localFilesOnly(Boolean localFilesOnly) {
            this.localFilesOnly = localFilesOnly;
            return this;
        }

        public Builder forceDownload(boolean forceDownload) {
            this.forceDownload = forceDownload;
            return this;
        }

        /** A token for private or gated repos (else {@code HF_TOKEN} / the login file). */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** Sends no token even when the environment has one ({@code token=False}). */
        public Builder noToken(boolean noToken) {
            this.noToken = noToken;
            return this;
        }

        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        public Builder allowPatterns(List<String> allowPatterns) {
            this.allowPatterns = allowPatterns;
            return this;
        }

        public Builder ignorePatterns(List<String> ignorePatterns) {
            this.ignorePatterns = ignorePatterns;
            return this;
        }

        public Builder variant(String variant) {
            this.variant = variant;
            return this;
        }

        public Builder useSafetensors(Boolean useSafetensors) {
            this.useSafetensors = useSafetensors;
            return this;
        }

        public Builder environment(HubEnvironment environment) {
            this.environment = environment;
            return this;
        }

        /** Retries after a 429/5xx answer or a dropped connection (consecutive, without progress). */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        /** First retry delay, doubled per retry up to {@code max}. */
        public Builder retryDelay(Duration base, Duration max) {
            this.retryBaseDelay = base;
            this.retryMaxDelay = max;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder metadataTimeout(Duration metadataTimeout) {
            this.metadataTimeout = metadataTimeout;
            return this;
        }

        public Builder readTimeout(Duration readTimeout) {
            this.readTimeout = readTimeout;
            return this;
        }

        public HubOptions build() {
            return new HubOptions(this);
        }
    }
}
