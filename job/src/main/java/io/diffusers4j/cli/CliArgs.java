// A small GNU-style option parser: --name value (repeatable), --name=value, boolean flags, --help.
package io.diffusers4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Parsed options of one subcommand; every option must be declared, unknown ones are usage errors. */
public final class CliArgs {
    private final String command;
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> flags;

    private CliArgs(String command, Set<String> flags) {
        this.command = command;
        this.flags = flags;
    }

    /**
     * @param options options that take a value
     * @param flags   options without a value
     */
    public static CliArgs parse(String command, String[] args, Set<String> options, Set<String> flags) {
        CliArgs out = new CliArgs(command, flags);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "' (options start with --; see --help)");
            }
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                if (inline != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                out.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (options.contains(name)) {
                String v = inline;
                if (v == null) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    v = args[++i];
                }
                out.values.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
            } else {
                throw new UsageException("unknown option --" + name + " for '" + command + "' (see --help)");
            }
        }
        return out;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return flags.contains(name) && values.containsKey(name);
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** The single value of an option given at most once. */
    public String get(String name) {
        List<String> v = all(name);
        if (v.size() > 1) {
            throw new UsageException("--" + name + " given " + v.size() + " times (" + String.join(", ", v)
                    + ") but takes one value");
        }
        return v.isEmpty() ? null : v.get(0);
    }

    public String get(String name, String dflt) {
        String v = get(name);
        return v == null ? dflt : v;
    }

    public String require(String name) {
        String v = get(name);
        if (v == null) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }

    public Integer intValue(String name) {
        String v = get(name);
        return v == null ? null : parse(name, v, "an integer", Integer::parseInt);
    }

    public int intValue(String name, int dflt) {
        Integer v = intValue(name);
        return v == null ? dflt : v;
    }

    public Double doubleValue(String name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        double d = parse(name, v, "a number", Double::parseDouble);
        if (!Double.isFinite(d)) {
            throw new UsageException("--" + name + " must be a finite number, got '" + v + "'");
        }
        return d;
    }

    public double doubleValue(String name, double dflt) {
        Double v = doubleValue(name);
        return v == null ? dflt : v;
    }

    /**
     * A list of finite numbers given as one comma-separated value ({@code --timesteps 999,850,500}) or by
     * repeating the option; null when the option is absent.
     */
    public double[] doubleList(String name) {
        if (!has(name)) {
            return null;
        }
        List<Double> out = new ArrayList<>();
        for (String v : all(name)) {
            for (String item : v.split(",", -1)) {
                double d = parse(name, item, "a comma-separated list of numbers", Double::parseDouble);
                if (!Double.isFinite(d)) {
                    throw new UsageException("--" + name + " must hold finite numbers, got '" + v + "'");
                }
                out.add(d);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public List<Long> longValues(String name) {
        List<Long> out = new ArrayList<>();
        for (String v : all(name)) {
            out.add(parse(name, v, "an integer", Long::parseLong));
        }
        return out;
    }

    /** {@code parser(v.trim())}; a value it refuses is a usage error naming the option and {@code kind}. */
    private static <T> T parse(String name, String v, String kind, Function<String, T> parser) {
        try {
            return parser.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be " + kind + ", got '" + v + "'");
        }
    }
}
