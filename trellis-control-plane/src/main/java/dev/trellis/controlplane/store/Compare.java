package dev.trellis.controlplane.store;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A condition of a {@link Store#txn}, on one key, as etcd's {@code Compare}.
 *
 * <p>A key that does not exist has version, createRevision and modRevision 0, so "absent" is
 * {@code createRevision(key, EQUAL, 0)} ({@link #absent}). A VALUE compare on an absent key never
 * holds, whatever its result, because etcd cannot tell a missing value from an empty one.
 *
 * @param number the operand of VERSION, CREATE_REVISION and MOD_REVISION compares
 * @param value the operand of VALUE compares (compared as unsigned bytes); empty for the others
 */
public record Compare(String key, Target target, Result result, long number, byte[] value) {
    /** What of the key is compared. */
    public enum Target { VALUE, VERSION, CREATE_REVISION, MOD_REVISION }

    /** How the key's side relates to the operand for the compare to hold. */
    public enum Result { EQUAL, NOT_EQUAL, GREATER, LESS }

    public Compare {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(result, "result");
        value = value.clone();
        if (target != Target.VALUE && value.length > 0) {
            throw new IllegalArgumentException("compare " + key + ": a value with target " + target + " (expected: a value only for VALUE)");
        }
    }

    public static Compare value(String key, Result result, byte[] value) {
        return new Compare(key, Target.VALUE, result, 0, value);
    }

    public static Compare version(String key, Result result, long version) {
        return new Compare(key, Target.VERSION, result, version, new byte[0]);
    }

    public static Compare createRevision(String key, Result result, long revision) {
        return new Compare(key, Target.CREATE_REVISION, result, revision, new byte[0]);
    }

    public static Compare modRevision(String key, Result result, long revision) {
        return new Compare(key, Target.MOD_REVISION, result, revision, new byte[0]);
    }

    /** Holds when {@code key} does not exist. */
    public static Compare absent(String key) {
        return createRevision(key, Result.EQUAL, 0);
    }

    /** Holds when {@code key} exists. */
    public static Compare present(String key) {
        return createRevision(key, Result.GREATER, 0);
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** Whether this compare holds for the key's current value, empty when the key is absent. */
    boolean holds(Optional<KeyValue> current) {
        if (target == Target.VALUE) {
            return current.isPresent() && matches(Arrays.compareUnsigned(current.get().value(), value));
        }
        long actual = current.map(kv -> switch (target) {
            case VERSION -> kv.version();
            case CREATE_REVISION -> kv.createRevision();
            case MOD_REVISION -> kv.modRevision();
            case VALUE -> throw new AssertionError();
        }).orElse(0L);
        return matches(Long.compare(actual, number));
    }

    private boolean matches(int order) {
        return switch (result) {
            case EQUAL -> order == 0;
            case NOT_EQUAL -> order != 0;
            case GREATER -> order > 0;
            case LESS -> order < 0;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Compare c && key.equals(c.key) && target == c.target && result == c.result && number == c.number
                && Arrays.equals(value, c.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, target, result, number, Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "Compare[" + target + "(" + key + ") " + result + " " + (target == Target.VALUE ? Values.describe(value) : number) + "]";
    }
}
