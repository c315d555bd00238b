// A fake Hugging Face Hub on 127.0.0.1 (resolve HEAD/GET, repo-info API, an optional CDN on a second port) with
// fault injection: dropped transfers, 429/5xx answers, corrupt bytes, bad ETags, slow bodies.
package io.diffusers4j.hub;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves repos held in memory the way huggingface.co serves them, and records every request. Public for the job's
 * tests (the test-jar): point {@code HubOptions.endpoint} or {@code HF_ENDPOINT} at {@link #url()}.
 */
public final class FakeHub implements AutoCloseable {
    /** One recorded request. */
    public record Request(String server, String method, String path, String authorization, String range, long nanos) {
    }

    /** A repo: refs (branch/tag -> commit) and file contents per commit. */
    public static final class Repo {
        final Map<String, String> refs = new ConcurrentHashMap<>();
        final Map<String, Map<String, byte[]>> commits = new ConcurrentHashMap<>();
        String requiredToken;
        boolean gated;
        List<String> extraListing = new ArrayList<>();

        public Repo commit(String commit, Map<String, byte[]> files, String... refNames) {
            commits.put(commit, new TreeMap<>(files));
            for (String r : refNames) {
                refs.put(r, commit);
            }
            return this;
        }
    }

    static {
        // the JDK server writes headers and body separately: without TCP_NODELAY, Nagle + delayed ACKs add ~40 ms
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    /** path suffix -> number of upcoming requests answered with that status. */
    final Map<String, int[]> failures = new ConcurrentHashMap<>();
    final Map<String, Integer> failureStatus = new ConcurrentHashMap<>();
    /** path suffix -> bytes to send before dropping the connection (once). */
    final Map<String, Integer> dropAfter = new ConcurrentHashMap<>();
    /** path suffix -> serve these bytes instead of the real content (etag stays the real one). */
    final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();
    /** path suffix -> ETag header to send instead. */
    final Map<String, String> badEtag = new ConcurrentHashMap<>();
    /** path suffix -> pause (ms) after the first chunk of the next GET, once. */
    final Map<String, Integer> stallOnceMs = new ConcurrentHashMap<>();
    /** Retry-After header of injected failures (null: none). */
    volatile String retryAfter = "0";
    volatile boolean lfsViaCdn;
    volatile boolean ignoreRange;
    volatile int bodyDelayMs;
    final AtomicInteger blobGets = new AtomicInteger();

    private final HttpServer main;
    private final HttpServer cdn;

    public FakeHub() throws IOException {
        main = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        main.createContext("/", ex -> handle("main", ex));
        cdn.createContext("/", ex -> handle("cdn", ex));
        main.setExecutor(Executors.newCachedThreadPool());
        cdn.setExecutor(Executors.newCachedThreadPool());
        main.start();
        cdn.start();
    }

    public String url() {
        return "http://127.0.0.1:" + main.getAddress().getPort();
    }

    String cdnUrl() {
        return "http://127.0.0.1:" + cdn.getAddress().getPort();
    }

    public Repo repo(String id) {
        return repos.computeIfAbsent(id, k -> new Repo());
    }

    void failNext(String pathSuffix, int status, int times) {
        failureStatus.put(pathSuffix, status);
        failures.put(pathSuffix, new int[] {times});
    }

    public List<Request> requests(String method, String pathPart) {
        synchronized (requests) {
            return requests.stream().filter(r -> (method == null || r.method().equals(method))
                    && r.path().contains(pathPart)).toList();
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** git's blob object id: sha1("blob <len>\0" + content), the ETag of non-LFS files. */
    static String gitSha1(byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isLfs(String path) {
        return path.endsWith(".safetensors") || path.endsWith(".bin");
    }

    private void handle(String server, HttpExchange ex) throws IOException {
        try (ex) {
            String raw = ex.getRequestURI().getRawPath();
            requests.add(new Request(server, ex.getRequestMethod(), raw,
                    ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range"),
                    System.nanoTime()));
            Integer failStatus = injectedFailure(raw);
            if (failStatus != null) {
                if (retryAfter != null) {
                    ex.getResponseHeaders().set("Retry-After", retryAfter);
                }
                send(ex, failStatus, new byte[0]);
                return;
            }
            if (server.equals("cdn")) {
                serveBlob(ex, raw);
                return;
            }
            String[] parts = raw.split("/");
            if (raw.startsWith("/api/models/") && parts.length >= 7 && parts[5].equals("revision")) {
                api(ex, parts[3] + "/" + parts[4], decode(String.join("/", Arrays.copyOfRange(parts, 6, parts.length))));
            } else if (parts.length >= 6 && parts[3].equals("resolve")) {
                String file = decode(String.join("/", Arrays.copyOfRange(parts, 5, parts.length)));
                resolve(ex, parts[1] + "/" + parts[2], decode(parts[4]), file);
            } else {
                send(ex, 404, new byte[0]);
            }
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private Integer injectedFailure(String path) {
        for (Map.Entry<String, int[]> e : failures.entrySet()) {
            if (path.endsWith(e.getKey())) {
                synchronized (e.getValue()) {
                    if (e.getValue()[0] > 0) {
                        e.getValue()[0]--;
                        return failureStatus.get(e.getKey());
                    }
                }
            }
        }
        return null;
    }

    /** Looks up repo + auth + revision; sends the error and returns null when one applies. */
    private String commitFor(HttpExchange ex, Repo repo, String revision) throws IOException {
        if (repo == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 401, new byte[0]);
            return null;
        }
        if (repo.requiredToken != null
                && !("Bearer " + repo.requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("X-Error-Code", repo.gated ? "GatedRepo" : "RepoNotFound");
            send(ex, repo.gated ? 403 : 401, new byte[0]);
            return null;
        }
        String commit = repo.commits.containsKey(revision) ? revision : repo.refs.get(revision);
        if (commit == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, new byte[0]);
        }
        return commit;
    }

    private void api(HttpExchange ex, String repoId, String revision) throws IOException {
        Repo repo = repos.get(repoId);
        String commit = commitFor(ex, repo, revision);
        if (commit == null) {
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("id", repoId);
        o.addProperty("sha", commit);
        JsonArray siblings = new JsonArray();
        List<String> names = new ArrayList<>(repo.commits.get(commit).keySet());
        names.addAll(repo.extraListing);
        for (String f : names) {
            JsonObject s = new JsonObject();
            s.addProperty("rfilename", f);
            siblings.add(s);
        }
        o.add("siblings", siblings);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, o.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void resolve(HttpExchange ex, String repoId, String revision, String file) throws IOException {
        Repo repo = repos.get(repoId);
        String commit = commitFor(ex, repo, revision);
        if (commit == null) {
            return;
        }
        Headers h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", commit);
        byte[] content = repo.commits.get(commit).get(file);
        if (content == null) {
            h.set("X-Error-Code", "EntryNotFound");
            send(ex, 404, new byte[0]);
            return;
        }
        String etag = isLfs(file) ? sha256(content) : gitSha1(content);
        String etagHeader = badEtag.entrySet().stream().filter(e -> file.endsWith(e.getKey()))
                .map(Map.Entry::getValue).findFirst().orElse("\"" + etag + "\"");
        if (isLfs(file) && lfsViaCdn) {
            h.set("X-Linked-Etag", etagHeader);
            h.set("X-Linked-Size", Long.toString(content.length));
            h.set("ETag", "\"" + gitSha1(content) + "\"");
            h.set("Location", cdnUrl() + "/blobs/" + sha256(content) + "?expires=1&sig=abc");
            cdnContent.put(sha256(content), content);
            send(ex, 302, new byte[0]);
            return;
        }
        h.set("ETag", etagHeader);
        serveContent(ex, file, content);
    }

    final Map<String, byte[]> cdnContent = new ConcurrentHashMap<>();

    private void serveBlob(HttpExchange ex, String raw) throws IOException {
        String sha = raw.substring(raw.lastIndexOf('/') + 1);
        byte[] content = cdnContent.get(sha);
        if (content == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        serveContent(ex, raw, content);
    }

    /** 200 or 206 with Range, honouring drop/corrupt/delay injections. */
    private void serveContent(HttpExchange ex, String path, byte[] real) throws IOException {
        byte[] content = real;
        for (Map.Entry<String, byte[]> e : corrupt.entrySet()) {
            if (path.endsWith(e.getKey())) {
                content = e.getValue();
            }
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        if (isLfs(path) || path.startsWith("/blobs/")) {
            blobGets.incrementAndGet();
        }
        int start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && !ignoreRange) {
            start = Integer.parseInt(range.substring(6, range.indexOf('-')));
            if (start >= content.length) {
                send(ex, 416, new byte[0]);
                return;
            }
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/"
                    + content.length);
        }
        int len = content.length - start;
        ex.sendResponseHeaders(start > 0 ? 206 : 200, len == 0 ? -1 : len);
        Integer drop = null;
        for (Map.Entry<String, Integer> e : dropAfter.entrySet()) {
            if (path.endsWith(e.getKey())) {
                drop = dropAfter.remove(e.getKey());
            }
        }
        Integer stall = null;
        for (String k : stallOnceMs.keySet()) {
            if (path.endsWith(k)) {
                stall = stallOnceMs.remove(k);
            }
        }
        OutputStream out = ex.getResponseBody();
        int end = drop == null ? content.length : Math.min(content.length, start + drop);
        for (int pos = start; pos < end; pos += 65536) {
            out.write(content, pos, Math.min(65536, end - pos));
            out.flush();
            if (bodyDelayMs > 0) {
                sleep(bodyDelayMs);
            }
            if (stall != null) {
                sleep(stall);
                stall = null;
            }
        }
        if (drop != null) {
            // abort: closing the exchange with bytes still owed closes the socket (the client sees a short body)
            throw new IOException("fake hub: dropping the connection after " + drop + " bytes");
        }
        out.close();
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD") || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        main.stop(0);
        cdn.stop(0);
        ((ExecutorService) main.getExecutor()).shutdownNow();
        ((ExecutorService) cdn.getExecutor()).shutdownNow();
    }
}
