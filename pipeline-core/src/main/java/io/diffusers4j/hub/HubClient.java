// Port of the HTTP side of huggingface_hub: hf_hub_url, get_hf_file_metadata (HEAD, relative redirects only),
// HfApi.repo_info, http_get (streaming, Range resume) and hf_raise_for_status, on java.net.http.HttpClient.
package io.diffusers4j.hub;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * HTTP access to a Hub endpoint. The token goes in {@code Authorization: Bearer} only on requests to the endpoint's
 * own origin (scheme, host and port): a redirect to a CDN or any other host is followed without it. 429 and 5xx
 * answers and dropped connections are retried with exponential backoff, a bounded number of times; a download that
 * drops mid-file resumes with {@code Range}. Errors are {@link HubException}s with one-line messages.
 */
public final class HubClient {
    private static final Logger LOG = LoggerFactory.getLogger(HubClient.class);
    private static final int MAX_REDIRECTS = 10;
    private static final int MAX_JSON_BYTES = 32 << 20;
    private static final String USER_AGENT = "diffusers4j/0.1; java/" + System.getProperty("java.version");

    /** What a HEAD on a {@code resolve} URL says about a file (huggingface_hub's HfFileMetadata). */
    public record FileMetadata(String commitHash, String etag, URI location, long size) {
    }

    /** The commit a revision points to and every file of the repo at that commit. */
    public record RepoInfo(String sha, List<String> files) {
    }

    private final HubOptions opts;
    private final HttpClient http;
    private final URI endpoint;
    private final String token;

    public HubClient(HubOptions opts) {
        this.opts = opts;
        this.endpoint = URI.create(opts.endpoint());
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("invalid Hub endpoint '" + opts.endpoint()
                    + "' (expected http(s)://host[:port])");
        }
        this.token = opts.effectiveToken();
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(opts.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** {@code {endpoint}/{repo}/resolve/{revision}/{filename}}, percent-encoded like huggingface_hub's quote(). */
    public URI fileUrl(String repoId, String revision, String filename) {
        return URI.create(opts.endpoint() + "/" + repoId + "/resolve/" + quote(revision, false) + "/"
                + quote(filename, true));
    }

    URI apiUrl(String repoId, String revision) {
        return URI.create(opts.endpoint() + "/api/models/" + repoId + "/revision/" + quote(revision, false));
    }

    /** Python's urllib.parse.quote: keeps letters, digits, {@code _.-~} (and {@code /} when asked), UTF-8 else. */
    static String quote(String s, boolean keepSlash) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
                    || c == '-' || c == '~' || keepSlash && c == '/') {
                b.append((char) c);
            } else {
                b.append('%').append(String.format("%02X", c));
            }
        }
        return b.toString();
    }

    /** HEAD metadata of one file: commit, etag (X-Linked-Etag first), size (X-Linked-Size first), location. */
    public FileMetadata fileMetadata(String repoId, String revision, String filename) {
        String what = describe(repoId, filename, revision);
        URI url = fileUrl(repoId, revision, filename);
        HttpResponse<Void> r = retrying(what, () -> send("HEAD", url, null, true, HttpResponse.BodyHandlers.discarding(),
                opts.metadataTimeout()), HttpResponse::statusCode);
        if (r.statusCode() >= 400) {
            throw classify(r.statusCode(), r.headers(), r.uri(), what, repoId, false)
                    .withRepoCommit(r.headers().firstValue("X-Repo-Commit").filter(HubCache::isCommitHash).orElse(null));
        }
        HttpHeaders h = r.headers();
        String commit = h.firstValue("X-Repo-Commit").orElse(null);
        if (!HubCache.isCommitHash(commit)) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what + ": the response has no "
                    + "valid X-Repo-Commit header; is " + opts.endpoint() + " a Hugging Face Hub endpoint?");
        }
        String etag = normalizeEtag(h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null));
        HubCache.checkEtag(etag, what);
        long size = parseSize(h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length")));
        if (size < 0) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what
                    + ": the response has no usable X-Linked-Size / Content-Length");
        }
        URI location = h.firstValue("Location").map(l -> r.uri().resolve(l)).orElse(r.uri());
        return new FileMetadata(commit, etag, location, size);
    }

    /** {@code GET /api/models/{repo}/revision/{revision}}: the commit sha and the file list (siblings). */
    public RepoInfo repoInfo(String repoId, String revision) {
        String what = "repo '" + repoId + "' at revision '" + revision + "'";
        URI url = apiUrl(repoId, revision);
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = retrying(what, () -> send("GET", url, null, false,
                HttpResponse.BodyHandlers.ofPublisher(), opts.metadataTimeout()), HttpResponse::statusCode);
        BodyQueue body = BodyQueue.subscribe(r.body());
        if (r.statusCode() >= 400) {
            body.cancel();
            throw classify(r.statusCode(), r.headers(), r.uri(), what, repoId, true);
        }
        if (r.statusCode() != 200) {
            body.cancel();
            throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what + ": unexpected HTTP "
                    + r.statusCode() + " from " + stripQuery(r.uri()));
        }
        String text;
        try {
            text = body.readAll(MAX_JSON_BYTES, opts.readTimeout());
        } catch (IOException e) {
            throw new HubException(HubException.Kind.NETWORK, 0, what + ": reading the repo info failed: " + e, e);
        }
        JsonObject json;
        try {
            json = ConfigBase.parseJsonObject(text, url.toString());
        } catch (IllegalArgumentException e) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what + ": " + e.getMessage(), e);
        }
        JsonElement sha = json.get("sha");
        if (sha == null || !sha.isJsonPrimitive() || !HubCache.isCommitHash(sha.getAsString())) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what
                    + ": the repo info has no valid 'sha'");
        }
        JsonElement siblings = json.get("siblings");
        if (siblings == null || !siblings.isJsonArray()) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what
                    + ": the repo info has no 'siblings' list");
        }
        List<String> files = new ArrayList<>();
        for (JsonElement s : (JsonArray) siblings) {
            JsonElement name = s.isJsonObject() ? s.getAsJsonObject().get("rfilename") : null;
            if (name == null || !name.isJsonPrimitive() || !name.getAsJsonPrimitive().isString()) {
                throw new HubException(HubException.Kind.BAD_RESPONSE, r.statusCode(), what
                        + ": a sibling has no 'rfilename': " + s);
            }
            files.add(name.getAsString());
        }
        return new RepoInfo(sha.getAsString(), List.copyOf(files));
    }

    /**
     * Streams {@code url} into {@code incomplete} until it holds {@code expectedSize} bytes, resuming from what the
     * file already holds with {@code Range: bytes=N-} (and after every dropped connection). A server that ignores
     * the range (200) restarts the file. Gives up after {@code maxRetries} consecutive failures without progress;
     * the partial file is kept for a later resume.
     */
    void download(URI url, Path incomplete, long expectedSize, String what) throws IOException {
        try (FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long pos = out.size();
            if (pos > expectedSize) {
                out.truncate(0);
                pos = 0;
            }
            int failures = 0;
            while (pos < expectedSize) {
                String range = pos > 0 ? "bytes=" + pos + "-" : null;
                HttpResponse<Flow.Publisher<List<ByteBuffer>>> r;
                try {
                    r = send("GET", url, range, false, HttpResponse.BodyHandlers.ofPublisher(), opts.readTimeout());
                } catch (IOException e) {
                    failures = backoffOrFail(failures, what, "connection failed: " + e, 0, null, e);
                    continue;
                }
                int status = r.statusCode();
                BodyQueue body = BodyQueue.subscribe(r.body());
                if (status == 429 || status >= 500) {
                    body.cancel();
                    failures = backoffOrFail(failures, what, "HTTP " + status, status, r.headers(), null);
                    continue;
                }
                if (status == 416) { // our range no longer fits the file: start over
                    body.cancel();
                    out.truncate(0);
                    pos = 0;
                    failures = backoffOrFail(failures, what, "HTTP 416 for range " + range, status, null, null);
                    continue;
                }
                if (status >= 400) {
                    body.cancel();
                    throw classify(status, r.headers(), r.uri(), what, null, false);
                }
                if (status != 200 && status != 206) {
                    body.cancel();
                    throw new HubException(HubException.Kind.BAD_RESPONSE, status, what + ": unexpected HTTP " + status
                            + " from " + stripQuery(r.uri()));
                }
                if (status == 206) {
                    long start = contentRangeStart(r.headers());
                    if (start != pos) {
                        body.cancel();
                        throw new HubException(HubException.Kind.BAD_RESPONSE, status, what + ": asked for bytes from "
                                + pos + " but the server sent a range starting at " + start);
                    }
                } else if (pos > 0) {
                    LOG.info("{}: the server ignored the resume range; downloading from the start", what);
                    out.truncate(0);
                    pos = 0;
                }
                out.position(pos);
                try {
                    ByteBuffer chunk;
                    while ((chunk = body.next(opts.readTimeout())) != null) {
                        int n = chunk.remaining();
                        if (pos + n > expectedSize) {
                            body.cancel();
                            throw new HubException(HubException.Kind.SIZE_MISMATCH, status, what + ": the server sent "
                                    + "more than the announced " + expectedSize + " bytes");
                        }
                        while (chunk.hasRemaining()) {
                            out.write(chunk);
                        }
                        pos += n;
                        if (n > 0) {
                            failures = 0; // progress resets the retry budget, as in huggingface_hub's http_get
                        }
                    }
                } catch (DroppedConnection e) {
                    failures = backoffOrFail(failures, what, "connection dropped at byte " + pos + " of "
                            + expectedSize + ": " + e.getMessage(), 0, null, e);
                    continue;
                }
                if (pos < expectedSize) {
                    failures = backoffOrFail(failures, what, "the response ended at byte " + pos + " of "
                            + expectedSize, 0, null, null);
                }
            }
            out.force(false);
        }
    }

    private int backoffOrFail(int failures, String what, String reason, int status, HttpHeaders headers,
                              Throwable cause) {
        int attempt = failures + 1;
        if (attempt > opts.maxRetries()) {
            HubException.Kind kind = status == 429 ? HubException.Kind.RATE_LIMITED
                    : status >= 500 ? HubException.Kind.SERVER_ERROR : HubException.Kind.NETWORK;
            throw new HubException(kind, status, what + ": " + reason + " (gave up after " + attempt
                    + " attempts; a partial download is kept and resumes next time)", cause);
        }
        LOG.warn("{}: {}; retry {} of {}", what, reason, attempt, opts.maxRetries());
        sleep(delay(attempt, headers));
        return attempt;
    }

    /** An HTTP call that may fail with an IOException (connection refused, reset, timeout). */
    @FunctionalInterface
    private interface Call<T> {
        HttpResponse<T> run() throws IOException;
    }

    /** Runs {@code call}, retrying connection failures and 429/5xx answers with backoff. */
    private <T> HttpResponse<T> retrying(String what, Call<T> call, ToIntFunction<HttpResponse<T>> st) {
        for (int attempt = 1; ; attempt++) {
            HttpResponse<T> r;
            try {
                r = call.run();
            } catch (IOException e) {
                if (attempt > opts.maxRetries()) {
                    throw new HubException(HubException.Kind.NETWORK, 0, what + ": cannot reach "
                            + endpoint.getHost() + " (" + e + ") after " + attempt + " attempts", e);
                }
                LOG.warn("{}: {}; retry {} of {}", what, e.toString(), attempt, opts.maxRetries());
                sleep(delay(attempt, null));
                continue;
            }
            int status = st.applyAsInt(r);
            if ((status == 429 || status >= 500) && r.body() instanceof Flow.Publisher<?> p) {
                BodyQueue.subscribe(castPublisher(p)).cancel();
            }
            if ((status == 429 || status >= 500) && attempt <= opts.maxRetries()) {
                LOG.warn("{}: HTTP {}; retry {} of {}", what, status, attempt, opts.maxRetries());
                sleep(delay(attempt, r.headers()));
                continue;
            }
            if (status == 429 || status >= 500) {
                throw classify(status, r.headers(), r.uri(), what + " (after " + attempt + " attempts)", null, false);
            }
            return r;
        }
    }

    @SuppressWarnings("unchecked")
    private static Flow.Publisher<List<ByteBuffer>> castPublisher(Flow.Publisher<?> p) {
        return (Flow.Publisher<List<ByteBuffer>>) p;
    }

    /**
     * Sends one request, following redirects by hand: the token only to the endpoint's origin; HEAD follows only
     * relative redirects (a redirect to a CDN is the file's location, as in get_hf_file_metadata).
     */
    private <T> HttpResponse<T> send(String method, URI url, String range, boolean relativeRedirectsOnly,
                                     HttpResponse.BodyHandler<T> handler, Duration timeout) throws IOException {
        URI current = url;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .timeout(timeout)
                    .header("User-Agent", USER_AGENT)
                    .header("Accept-Encoding", "identity");
            if (range != null) {
                b.header("Range", range);
            }
            if (token != null && sameOrigin(current, endpoint)) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<T> r;
            try {
                r = http.send(b.build(), handler);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException(HubException.Kind.NETWORK, 0, "interrupted while requesting " + current, e);
            }
            int status = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            boolean redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
            if (!redirect || location.isEmpty()) {
                return r;
            }
            URI target;
            boolean absolute;
            try {
                absolute = URI.create(location.get()).getHost() != null;
                target = current.resolve(location.get());
            } catch (IllegalArgumentException e) {
                throw new HubException(HubException.Kind.BAD_RESPONSE, status, "malformed redirect Location from "
                        + stripQuery(current));
            }
            if (relativeRedirectsOnly && absolute) {
                return r;
            }
            if (r.body() instanceof Flow.Publisher<?> p) {
                BodyQueue.subscribe(castPublisher(p)).cancel();
            }
            String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new HubException(HubException.Kind.BAD_RESPONSE, status, "redirect to an unsupported URL "
                        + target + " from " + current);
            }
            if (hop >= MAX_REDIRECTS) {
                throw new HubException(HubException.Kind.BAD_RESPONSE, status, "more than " + MAX_REDIRECTS
                        + " redirects from " + url);
            }
            current = target;
        }
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** hf_raise_for_status: X-Error-Code first, then the status code. */
    HubException classify(int status, HttpHeaders h, URI url, String what, String repoId, boolean api) {
        String code = h.firstValue("X-Error-Code").orElse("");
        String tokenHint = token == null ? "no token was sent: set HF_TOKEN or pass a token"
                : "the token sent (option or HF_TOKEN) was refused or has no access to it";
        String repo = repoId == null ? "the repo" : "'" + repoId + "'";
        if (code.equals("RevisionNotFound")) {
            return new HubException(HubException.Kind.REVISION_NOT_FOUND, status, "revision not found: " + what
                    + " (HTTP " + status + "); check the branch, tag or commit");
        }
        if (code.equals("EntryNotFound")) {
            return new HubException(HubException.Kind.ENTRY_NOT_FOUND, status, "file not found: " + what
                    + " (HTTP " + status + ")");
        }
        if (code.equals("GatedRepo")) {
            return new HubException(HubException.Kind.GATED, status, "gated repo, access denied: " + what + " (HTTP "
                    + status + "); accept the conditions on the repo's Hub page and use a token of that account ("
                    + tokenHint + ")");
        }
        if (code.equals("RepoNotFound") || status == 401 && api) {
            return new HubException(HubException.Kind.REPO_NOT_FOUND, status, "repository not found: " + what
                    + " (HTTP " + status + "); check the repo id, and if " + repo + " is private or gated: "
                    + tokenHint);
        }
        return switch (status) {
            case 401 -> new HubException(HubException.Kind.UNAUTHORIZED, status, "HTTP 401 Unauthorized: " + what
                    + "; the repo may be private or gated, or the token invalid (" + tokenHint + ")");
            case 403 -> new HubException(HubException.Kind.FORBIDDEN, status, "HTTP 403 Forbidden: " + what
                    + "; the repo may be private or gated (" + tokenHint + ")");
            case 404 -> new HubException(HubException.Kind.NOT_FOUND, status, "HTTP 404 Not Found: " + what
                    + "; the repository, file or revision does not exist (" + stripQuery(url) + ")");
            case 429 -> new HubException(HubException.Kind.RATE_LIMITED, status, "HTTP 429 Too Many Requests: " + what);
            default -> status >= 500
                    ? new HubException(HubException.Kind.SERVER_ERROR, status, "HTTP " + status + " server error from "
                    + url.getHost() + ": " + what)
                    : new HubException(HubException.Kind.BAD_RESPONSE, status, "HTTP " + status + ": " + what);
        };
    }

    private static String stripQuery(URI u) {
        String s = u.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q);
    }

    static String describe(String repoId, String filename, String revision) {
        return "'" + filename + "' of repo '" + repoId + "' at revision '" + revision + "'";
    }

    /** huggingface_hub's _normalize_etag: drop a weak prefix and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static long parseSize(Optional<String> v) {
        try {
            long n = v.map(s -> Long.parseLong(s.strip())).orElse(-1L);
            return n < 0 ? -1 : n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long contentRangeStart(HttpHeaders h) {
        String cr = h.firstValue("Content-Range").orElse("");
        // bytes <start>-<end>/<total>
        if (cr.startsWith("bytes ")) {
            int dash = cr.indexOf('-');
            try {
                return Long.parseLong(cr.substring(6, dash).strip());
            } catch (RuntimeException e) {
                return -1;
            }
        }
        return -1;
    }

    private Duration delay(int attempt, HttpHeaders headers) {
        Duration max = opts.retryMaxDelay();
        if (headers != null) {
            Optional<String> ra = headers.firstValue("Retry-After");
            if (ra.isPresent()) {
                try {
                    Duration d = Duration.ofSeconds(Long.parseLong(ra.get().strip()));
                    return d.compareTo(max) > 0 ? max : d;
                } catch (NumberFormatException e) {
                    // an HTTP date: fall back to exponential backoff
                }
            }
        }
        Duration d = opts.retryBaseDelay().multipliedBy(1L << Math.min(attempt - 1, 20));
        return d.compareTo(max) > 0 ? max : d;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.NETWORK, 0, "interrupted while waiting to retry", e);
        }
    }

    /** A network failure while reading a response body. */
    static final class DroppedConnection extends IOException {
        DroppedConnection(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A response body consumed one chunk at a time with a timeout per chunk (the HttpClient's own stream has none),
     * requesting the next chunk only when the previous one is taken (bounded memory).
     */
    static final class BodyQueue implements Flow.Subscriber<List<ByteBuffer>> {
        private static final Object END = new Object();
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelled;
        private final List<ByteBuffer> pending = new ArrayList<>();

        static BodyQueue subscribe(Flow.Publisher<List<ByteBuffer>> publisher) {
            BodyQueue q = new BodyQueue();
            publisher.subscribe(q);
            return q;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (cancelled) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            queue.add(item);
        }

        @Override
        public void onError(Throwable t) {
            queue.add(t);
        }

        @Override
        public void onComplete() {
            queue.add(END);
        }

        void cancel() {
            cancelled = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        /** The next chunk, or null at the end of the body. */
        @SuppressWarnings("unchecked")
        ByteBuffer next(Duration timeout) throws DroppedConnection {
            while (pending.isEmpty()) {
                Object o;
                try {
                    o = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    cancel();
                    throw new DroppedConnection("interrupted", e);
                }
                if (o == null) {
                    cancel();
                    throw new DroppedConnection("no data for " + timeout.toMillis() + " ms", null);
                }
                if (o == END) {
                    return null;
                }
                if (o instanceof Throwable t) {
                    throw new DroppedConnection(t.toString(), t);
                }
                pending.addAll((List<ByteBuffer>) o);
                subscription.request(1);
            }
            return pending.remove(0);
        }

        String readAll(int limit, Duration timeout) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer chunk;
            while ((chunk = next(timeout)) != null) {
                if (out.size() + chunk.remaining() > limit) {
                    cancel();
                    throw new IOException("response larger than " + limit + " bytes");
                }
                byte[] b = new byte[chunk.remaining()];
                chunk.get(b);
                out.write(b);
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
