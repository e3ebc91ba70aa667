package dev.trellis.proxy.http.codec;

import io.netty.handler.codec.http.HttpMethod;

/**
 * The kinds of the requests sent or received on an HTTP/1.1 connection and not yet answered, oldest
 * first, two bits each: pipelined requests are answered in order, and the answer to a HEAD or a
 * CONNECT is framed by what it answers. Grows only past 32 requests in flight.
 */
final class MethodQueue {
    static final int OTHER = 0;
    static final int HEAD = 1;
    static final int CONNECT = 2;

    private long[] slots = new long[1];
    private int head;
    private int size;

    void add(HttpMethod method) {
        int kind = HttpMethod.HEAD.equals(method) ? HEAD : HttpMethod.CONNECT.equals(method) ? CONNECT : OTHER;
        int capacity = slots.length * 32;
        if (size == capacity) {
            grow();
            capacity *= 2;
        }
        int at = (head + size) % capacity;
        slots[at >>> 5] |= (long) kind << ((at & 31) << 1);
        size++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The oldest request's kind, taken off; OTHER when none is waiting (a reply to nothing). */
    int poll() {
        if (size == 0) {
            return OTHER;
        }
        int shift = (head & 31) << 1;
        int kind = (int) (slots[head >>> 5] >>> shift) & 3;
        slots[head >>> 5] &= ~(3L << shift);
        head = (head + 1) % (slots.length * 32);
        size--;
        return kind;
    }

    private void grow() {
        long[] bigger = new long[slots.length * 2];
        int capacity = slots.length * 32;
        for (int i = 0; i < size; i++) {
            int from = (head + i) % capacity;
            int kind = (int) (slots[from >>> 5] >>> ((from & 31) << 1)) & 3;
            bigger[i >>> 5] |= (long) kind << ((i & 31) << 1);
        }
        slots = bigger;
        head = 0;
    }
}
