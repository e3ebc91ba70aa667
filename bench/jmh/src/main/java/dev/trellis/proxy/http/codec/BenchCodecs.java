package dev.trellis.proxy.http.codec;

/** For the benchmarks (bench/jmh), in the codec's package: what a benchmark that only decodes must undo. */
public final class BenchCodecs {
    private BenchCodecs() {}

    /** Forgets the requests decoded, as writing their responses would. */
    public static void forgetRequests(Http1ServerCodec codec) {
        Http1ServerCodec.MethodQueue queue = codec.unanswered();
        while (!queue.isEmpty()) {
            queue.poll();
        }
    }
}
