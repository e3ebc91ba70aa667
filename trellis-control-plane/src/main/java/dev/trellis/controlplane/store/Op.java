package dev.trellis.controlplane.store;

import java.util.Arrays;
import java.util.Objects;

/** One operation of a {@link Store#txn}. */
public sealed interface Op permits Op.Put, Op.Delete, Op.DeletePrefix, Op.Get, Op.Range {

    /** Writes {@code value} at {@code key}, attached to {@code lease} (0 for none); gives a {@link PutResult}. */
    record Put(String key, byte[] value, long lease) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        int valueLength() {
            return value.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && key.equals(p.key) && Arrays.equals(value, p.value) && lease == p.lease;
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Arrays.hashCode(value), lease);
        }

        @Override
        public String toString() {
            return "Put[" + key + "=" + Values.describe(value) + (lease == 0 ? "" : ", lease=" + lease) + "]";
        }
    }

    /** Deletes {@code key} if it exists; gives a {@link DeleteResult}. */
    record Delete(String key) implements Op {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Deletes every key starting with {@code prefix} ("" for all keys); gives a {@link DeleteResult}. */
    record DeletePrefix(String prefix) implements Op {
        public DeletePrefix {
            Objects.requireNonNull(prefix, "prefix");
        }
    }

    /** Reads {@code key}, seeing the writes of earlier operations of the same transaction; gives a {@link RangeResult}. */
    record Get(String key) implements Op {
        public Get {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Reads every key starting with {@code prefix}, as {@link Get} does; gives a {@link RangeResult}. */
    record Range(String prefix) implements Op {
        public Range {
            Objects.requireNonNull(prefix, "prefix");
        }
    }

    static Op put(String key, byte[] value) {
        return new Put(key, value, 0);
    }

    static Op put(String key, byte[] value, long lease) {
        return new Put(key, value, lease);
    }

    static Op delete(String key) {
        return new Delete(key);
    }

    static Op deletePrefix(String prefix) {
        return new DeletePrefix(prefix);
    }

    static Op get(String key) {
        return new Get(key);
    }

    static Op range(String prefix) {
        return new Range(prefix);
    }
}
