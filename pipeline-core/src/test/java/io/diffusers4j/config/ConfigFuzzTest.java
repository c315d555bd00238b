// Fuzz test of the config parsers: mutated config.json / scheduler_config.json / model_index.json never escape as
// anything but a clear IllegalArgumentException naming the file.
package io.diffusers4j.config;

import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.models.vae.AutoencoderTinyConfig;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A few thousand seeded cases built from the tiny-sd fixture's real configs (UNet, VAE, CLIP text, PNDM scheduler,
 * model_index): byte flips, truncations, token substitutions/insertions/deletions, value swaps between keys
 * (numbers, strings, booleans, null, lists, objects, huge and negative numbers, sizes such as 10^9 timesteps or
 * 2,000,000 channels), deep nesting. Each parse must succeed or throw {@link IllegalArgumentException} whose
 * message starts with the source name: never another exception type (NullPointerException, ClassCastException,
 * NumberFormatException, ArithmeticException...), an Error (StackOverflowError, OutOfMemoryError), or a hang. The
 * run is bounded (8 s of cases, 60 s hard limit).
 */
class ConfigFuzzTest {
    private static final String[] VALUES = {"null", "true", "false", "0", "-1", "1", "2.5", "-0.0", "1e309",
        "-1e309", "9223372036854775808", "2147483648", "\"\"", "\"x\"", "\"4\"", "\"silu\"", "[]", "[1]", "[-1,2]",
        "[1.5]", "[\"a\"]", "[null]", "[[1]]", "{}", "{\"a\":1}", "\"\\u0000\"", "\"\\ud800\"", "NaN",
        // sizes and signs (issue 19): 1e9 timesteps ran the heap out; every size must be bounded before allocating
        "1000000000", "2000000", "-2", "-64", "1e18", "1e300", "[32,2000000]", "[32,-64]", "[-1]"};
    private static final String[] FRAGMENTS = {",", ":", "{", "}", "[", "]", "\"", "\\", " ", "\n", "e", "-", "."};

    private record Target(String name, String text, Consumer<String> parse) {
    }

    @Test
    void mutatedConfigsParseOrFailCleanly() throws Exception {
        List<Target> targets = List.of(
                target("unet/config.json", t -> ConfigBase.fromJson(ConfigBase.parseJsonObject(t, "SRC"),
                        UNet2DConditionConfig.class, "SRC")),
                target("vae/config.json", t -> ConfigBase.fromJson(ConfigBase.parseJsonObject(t, "SRC"),
                        AutoencoderKLConfig.class, "SRC")),
                target("../reference-tiny-vae/tiny-taesd/config.json", t -> ConfigBase.fromJson(
                        ConfigBase.parseJsonObject(t, "SRC"), AutoencoderTinyConfig.class, "SRC")),
                target("text_encoder/config.json", t -> ConfigBase.fromJson(ConfigBase.parseJsonObject(t, "SRC"),
                        CLIPTextConfig.class, "SRC")),
                target("scheduler/scheduler_config.json", t -> {
                    var scheduler = Schedulers.fromConfig(ConfigBase.parseJsonObject(t, "SRC"), "SRC");
                    try {
                        scheduler.setTimesteps(10); // a config that parses must also set timesteps or refuse
                    } catch (IllegalArgumentException callRefused) {
                        // e.g. "num_inference_steps 10 cannot be larger than num_train_timesteps 1"
                    }
                }),
                target("model_index.json", t -> {
                    ModelIndex mi = ModelIndex.parse(t, "SRC");
                    mi.components();
                    mi.presentComponentNames();
                    mi.getBoolean("requires_safety_checker", true);
                }));
        Random r = new Random(0xC0F16L);
        Map<String, String> problems = new TreeMap<>(); // distinct failure -> an input
        int[] counts = new int[3]; // cases, successes, clean failures
        long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            while (counts[0] < 20000 && System.nanoTime() < deadline) {
                Target t = targets.get(r.nextInt(targets.size()));
                String input = mutate(t.text(), r);
                counts[0]++;
                try {
                    t.parse().accept(input);
                    counts[1]++;
                } catch (IllegalArgumentException e) {
                    if (e.getMessage() == null || !e.getMessage().startsWith("SRC")) {
                        problems.putIfAbsent(t.name() + ": message without the source: " + where(e),
                                e.getMessage() + "\n    input: " + preview(input));
                    }
                    counts[2]++;
                } catch (Throwable e) {
                    problems.putIfAbsent(t.name() + " threw " + e.getClass().getName() + " " + where(e),
                            e.getMessage() + "\n    input: " + preview(input));
                }
            }
        });
        if (!problems.isEmpty()) {
            StringBuilder b = new StringBuilder(problems.size() + " kinds of unclean failure:\n");
            problems.forEach((k, v) -> b.append(k).append("\n    ").append(v).append('\n'));
            fail(b.toString());
        }
        assertTrue(counts[0] >= 1000, "only " + counts[0] + " cases ran");
        assertTrue(counts[1] > counts[0] / 20 && counts[2] > counts[0] / 20,
                counts[1] + " parsed, " + counts[2] + " refused of " + counts[0]);
    }

    private static Target target(String file, Consumer<String> parse) throws Exception {
        return new Target(file, Files.readString(Fixtures.tinySd().resolve(file), StandardCharsets.UTF_8), parse);
    }

    private static String mutate(String text, Random r) {
        int n = 1 + r.nextInt(3);
        String s = text;
        for (int i = 0; i < n; i++) {
            s = mutateOnce(s, r);
        }
        return s;
    }

    private static String mutateOnce(String s, Random r) {
        int kind = r.nextInt(8);
        int a = r.nextInt(s.length() + 1);
        int b = Math.min(s.length(), a + r.nextInt(8));
        return switch (kind) {
            case 0, 1, 2 -> swapValue(s, r);
            case 3 -> s.substring(0, a) + FRAGMENTS[r.nextInt(FRAGMENTS.length)] + s.substring(b);
            case 4 -> s.substring(0, a) + s.substring(b);
            case 5 -> s.substring(0, r.nextInt(s.length() + 1));
            case 6 -> {
                char[] c = s.toCharArray();
                if (c.length > 0) {
                    c[r.nextInt(c.length)] = (char) (r.nextBoolean() ? r.nextInt(128) : r.nextInt(0x3000));
                }
                yield new String(c);
            }
            default -> {
                int depth = r.nextBoolean() ? 10 + r.nextInt(50) : 60 + r.nextInt(100_000);
                int at = s.indexOf(':', r.nextInt(Math.max(1, s.length())));
                if (at < 0) {
                    yield s;
                }
                int comma = s.indexOf(',', at);
                yield s.substring(0, at + 1) + "[".repeat(depth) + "]".repeat(depth)
                        + s.substring(comma < 0 ? at + 1 : comma);
            }
        };
    }

    /** Replaces the value after a random key with one of VALUES. */
    private static String swapValue(String s, Random r) {
        int colon = s.indexOf("\": ", r.nextInt(Math.max(1, s.length())));
        if (colon < 0) {
            return s;
        }
        int start = colon + 3;
        int end = start;
        int depth = 0;
        while (end < s.length()) {
            char c = s.charAt(end);
            if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                if (depth == 0) {
                    break;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                break;
            }
            end++;
        }
        return s.substring(0, start) + VALUES[r.nextInt(VALUES.length)] + s.substring(end);
    }

    /** The first project frame of a throwable, to tell failure kinds apart. */
    private static String where(Throwable e) {
        for (StackTraceElement f : e.getStackTrace()) {
            if (f.getClassName().startsWith("io.diffusers4j") && !f.getClassName().contains("Fuzz")) {
                return "at " + f.getClassName() + "." + f.getMethodName() + ":" + f.getLineNumber();
            }
        }
        return "";
    }

    private static String preview(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }
}
