// Port of huggingface_hub.constants (HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_ENDPOINT) and utils._token.get_token.
package io.diffusers4j.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The environment the Hub settings come from, injectable for tests: variable lookup and the user's home folder.
 * Resolution follows huggingface_hub v0.24 so that Python and Java share one cache and one login:
 * <ul>
 *   <li>{@code HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface};
 *   <li>hub cache: {@code HF_HUB_CACHE}, else the legacy {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub};
 *   <li>offline: {@code HF_HUB_OFFLINE} or {@code TRANSFORMERS_OFFLINE} in {1, ON, YES, TRUE} (any case);
 *   <li>token: {@code HF_TOKEN}, else {@code HUGGING_FACE_HUB_TOKEN}, else the file {@code HF_TOKEN_PATH} or
 *       {@code $HF_HOME/token} (written by {@code huggingface-cli login}); trimmed, empty means none;
 *   <li>endpoint: {@code HF_ENDPOINT}, else {@code https://huggingface.co}.
 * </ul>
 */
public final class HubEnvironment {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    private final Function<String, String> env;
    private final Path userHome;

    private HubEnvironment(Function<String, String> env, Path userHome) {
        this.env = env;
        this.userHome = userHome;
    }

    /** The process environment and {@code user.home}. */
    public static HubEnvironment system() {
        return new HubEnvironment(System::getenv, Path.of(System.getProperty("user.home")));
    }

    /** A fixed environment (for tests and embedding). */
    public static HubEnvironment of(Map<String, String> variables, Path userHome) {
        Map<String, String> copy = Map.copyOf(variables);
        return new HubEnvironment(copy::get, userHome);
    }

    /** The value of {@code name}, null when unset or empty. */
    public String get(String name) {
        String v = env.apply(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private Path expandUser(String p) {
        if (p.equals("~")) {
            return userHome;
        }
        if (p.startsWith("~/")) {
            return userHome.resolve(p.substring(2));
        }
        return Path.of(p);
    }

    public Path hfHome() {
        String home = get("HF_HOME");
        if (home != null) {
            return expandUser(home);
        }
        String xdg = get("XDG_CACHE_HOME");
        Path base = xdg != null ? expandUser(xdg) : userHome.resolve(".cache");
        return base.resolve("huggingface");
    }

    public Path hubCache() {
        String cache = get("HF_HUB_CACHE");
        if (cache == null) {
            cache = get("HUGGINGFACE_HUB_CACHE");
        }
        return cache != null ? expandUser(cache) : hfHome().resolve("hub");
    }

    public boolean offline() {
        String v = get("HF_HUB_OFFLINE");
        if (v == null) {
            v = get("TRANSFORMERS_OFFLINE");
        }
        return v != null && TRUE_VALUES.contains(v.toUpperCase(Locale.ROOT));
    }

    public String endpoint() {
        String e = get("HF_ENDPOINT");
        return e != null ? stripTrailingSlash(e) : DEFAULT_ENDPOINT;
    }

    /** The token from the environment or the login file; null when there is none. Never logged. */
    public String token() {
        String t = clean(get("HF_TOKEN"));
        if (t == null) {
            t = clean(get("HUGGING_FACE_HUB_TOKEN"));
        }
        if (t != null) {
            return t;
        }
        String path = get("HF_TOKEN_PATH");
        Path file = path != null ? expandUser(path) : hfHome().resolve("token");
        try {
            if (Files.isRegularFile(file) && Files.size(file) < 4096) {
                return clean(Files.readString(file, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // an unreadable token file means no token, as in huggingface_hub
        }
        return null;
    }

    static String clean(String token) {
        if (token == null) {
            return null;
        }
        String t = token.strip();
        return t.isEmpty() ? null : t;
    }

    static String stripTrailingSlash(String url) {
        String u = url;
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }

    @Override
    public String toString() {
        return "HubEnvironment[cache=" + hubCache() + ", endpoint=" + endpoint() + ", offline=" + offline() + "]";
    }
}
