package dev.trellis.config.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * One value of a document being read, with its field path ({@code spec.http[0].route}) and the
 * problems its reader reports to. Each accessor checks the value's type; a failed check records
 * what was given and what was expected, and yields a neutral result (empty, false), so a reader
 * goes on and one pass finds every problem of a document.
 *
 * <p>An absent field and an explicit {@code null} are the same, as in Kubernetes.
 */
public final class Node {
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");
    private static final int MAX_GIVEN_LENGTH = 60;

    private final JsonNode value;
    private final String path;
    private final Problems problems;

    private Node(JsonNode value, String path, Problems problems) {
        this.value = value;
        this.path = path;
        this.problems = problems;
    }

    /** The whole document; {@code value} may be null. */
    public static Node root(JsonNode value, Problems problems) {
        return new Node(value == null ? MissingNode.getInstance() : value, "", problems);
    }

    /** The field {@code name} of this object (absent if this is not an object). */
    public Node get(String name) {
        return new Node(value.path(name), child(name), problems);
    }

    public String path() {
        return path;
    }

    public boolean isPresent() {
        return !value.isMissingNode() && !value.isNull();
    }

    /**
     * True when this is an object. Reports a value of another type, and every field not in
     * {@code fields}; an absent value is quietly false, for optional objects.
     */
    public boolean isObject(Fields fields) {
        if (!isPresent()) {
            return false;
        }
        if (!value.isObject()) {
            problem(fields.expectedObject());
            return false;
        }
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            String name = field.getKey();
            if (fields.notImplemented().contains(name)) {
                get(name).report("not implemented yet (expected: " + fields.expectedName() + ")");
            } else if (!fields.supported().contains(name)) {
                get(name).report("unknown field (expected: " + fields.expectedName() + ")");
            }
        }
        return true;
    }

    /** Like {@link #isObject} but reports an absent value too. */
    public boolean isRequiredObject(Fields fields) {
        if (!isPresent()) {
            missing(fields.expectedObject());
            return false;
        }
        return isObject(fields);
    }

    /** The items of this list; empty when absent. {@code of} names the items, for messages. */
    public List<Node> list(String of) {
        if (!isPresent()) {
            return List.of();
        }
        if (!value.isArray()) {
            problem("a list of " + of);
            return List.of();
        }
        List<Node> items = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            items.add(new Node(value.get(i), path + "[" + i + "]", problems));
        }
        return items;
    }

    /** The items of this list, reporting a list that is absent or empty. */
    public List<Node> requiredList(String of) {
        if (!isPresent()) {
            missing("a non-empty list of " + of);
        } else if (value.isArray() && value.isEmpty()) {
            problem("a non-empty list of " + of);
        }
        return list(of);
    }

    /** The entries of this map (an object with free keys); empty when absent. */
    public Map<String, Node> entries(String of) {
        Map<String, Node> entries = new LinkedHashMap<>();
        if (!isPresent()) {
            return entries;
        }
        if (!value.isObject()) {
            problem("a map of " + of);
            return entries;
        }
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            entries.put(e.getKey(), new Node(e.getValue(), child(e.getKey()), problems));
        }
        return entries;
    }

    /** A map of strings to strings, such as labels; empty when absent. */
    public Map<String, String> stringMap(String of) {
        Map<String, String> map = new LinkedHashMap<>();
        entries(of).forEach((key, v) -> {
            if (!v.isPresent()) {
                v.missing("a string");
            }
            v.string("a string").ifPresent(s -> map.put(key, s));
        });
        return map;
    }

    /** A list of strings; empty when absent. */
    public List<String> strings(String of) {
        List<String> strings = new ArrayList<>();
        for (Node item : list(of)) {
            if (!item.isPresent()) {
                item.missing(of);
            }
            item.string(of).ifPresent(strings::add);
        }
        return strings;
    }

    /** This string; empty when absent or not a string. */
    public Optional<String> string(String expected) {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            problem(expected);
            return Optional.empty();
        }
        return Optional.of(value.textValue());
    }

    /** This string, reporting one that is absent or empty. */
    public Optional<String> requiredString(String expected) {
        if (!isPresent()) {
            missing(expected);
            return Optional.empty();
        }
        Optional<String> s = string(expected);
        if (s.isPresent() && s.get().isEmpty()) {
            problem(expected);
            return Optional.empty();
        }
        return s;
    }

    /** This integer if it lies in {@code min..max}; empty when absent or wrong. */
    public OptionalInt integer(int min, int max) {
        if (!isPresent()) {
            return OptionalInt.empty();
        }
        if (!value.isIntegralNumber()) {
            problem("an integer in " + min + ".." + max);
            return OptionalInt.empty();
        }
        if (!value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
            problem(min + ".." + max);
            return OptionalInt.empty();
        }
        return OptionalInt.of(value.intValue());
    }

    /** Like {@link #integer} but reports an absent value too. */
    public OptionalInt requiredInteger(int min, int max) {
        if (!isPresent()) {
            missing("an integer in " + min + ".." + max);
            return OptionalInt.empty();
        }
        return integer(min, max);
    }

    /** This number (integer or not) if it lies in {@code min..max}; empty when absent or wrong. */
    public OptionalDouble number(double min, double max) {
        if (!isPresent()) {
            return OptionalDouble.empty();
        }
        if (!value.isNumber()) {
            problem("a number in " + format(min) + ".." + format(max));
            return OptionalDouble.empty();
        }
        double number = value.doubleValue();
        if (!(number >= min && number <= max)) {
            problem(format(min) + ".." + format(max));
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(number);
    }

    private static String format(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** This boolean; empty when absent or not a boolean. */
    public Optional<Boolean> bool() {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            problem("true or false");
            return Optional.empty();
        }
        return Optional.of(value.booleanValue());
    }

    /** What this string means among {@code choices}; empty when absent or not one of them. */
    public <T> Optional<T> oneOf(Choices<T> choices) {
        Optional<String> name = string(choices.expected());
        if (name.isEmpty()) {
            return Optional.empty();
        }
        Optional<T> found = choices.find(name.get());
        if (found.isEmpty()) {
            if (choices.isNotImplemented(name.get())) {
                report(given() + " is not implemented yet (expected: " + choices.expected() + ")");
            } else {
                problem(choices.expected());
            }
        }
        return found;
    }

    /** Like {@link #oneOf} but reports an absent value too. */
    public <T> Optional<T> requiredOneOf(Choices<T> choices) {
        if (!isPresent()) {
            missing(choices.expected());
            return Optional.empty();
        }
        return oneOf(choices);
    }

    /**
     * The one field of {@code fields.supported()} this object sets, for fields that exclude each
     * other; reports none or several. Quiet when none is set but other fields are: {@link
     * #isObject} reported those already.
     */
    public Optional<String> exactlyOneOf(Fields fields) {
        List<String> given = fields.supported().stream().filter(f -> get(f).isPresent()).toList();
        if (given.size() == 1) {
            return Optional.of(given.get(0));
        }
        if (!given.isEmpty() || value.isEmpty()) {
            problem("exactly one of " + String.join(", ", fields.supported()));
        }
        return Optional.empty();
    }

    /** Reports this value as wrong: {@code path: <given> (expected: <expected>)}. */
    public void problem(String expected) {
        report(given() + " (expected: " + expected + ")");
    }

    /** Reports this value as absent though required. */
    public void missing(String expected) {
        report("missing (expected: " + expected + ")");
    }

    /** Reports {@code text} about this value, after its path. */
    public void report(String text) {
        problems.add(path, text);
    }

    /** This value as the user wrote it, in JSON form (strings quoted), shortened if long. */
    public String given() {
        String s = isPresent() ? value.toString() : "missing";
        return s.length() <= MAX_GIVEN_LENGTH ? s : s.substring(0, MAX_GIVEN_LENGTH - 3) + "...";
    }

    private String child(String key) {
        if (!PLAIN_KEY.matcher(key).matches()) {
            return path + "[\"" + key + "\"]";
        }
        return path.isEmpty() ? key : path + "." + key;
    }
}
