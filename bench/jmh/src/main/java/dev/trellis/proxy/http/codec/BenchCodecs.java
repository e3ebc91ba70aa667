package dev.trellis.proxy.http.codec;

import io.netty.handler.codec.http.HttpMethod;

/** For the benchmarks (bench/jmh), in the codec's package: what a benchmark that only decodes must undo. */
public final class BenchCodecs {
    private BenchCodecs() {}

    /** Forgets the requests decoded, as writing their responses would. */
    public static void forgetRequests(Http1ServerCodec codec) {
        empty(codec.unanswered());
    }

    /** Forgets the requests encoded, as decoding their responses would. */
    public static void forgetRequests(Http1ClientCodec codec) {
        empty(codec.unanswered());
    }

    /** Expects the response to a GET, as encoding it would have. */
    public static void sentGet(Http1ClientCodec codec) {
        codec.unanswered().add(HttpMethod.GET);
    }

    private static void empty(MethodQueue queue) {
        while (!queue.isEmpty()) {
            queue.poll();
        }
    }
}
