// Not a benchmark: the executor JMH runs the benchmark threads on (-Djmh.executor=CUSTOM, set in each
// class's @Fork). Its threads are Netty FastThreadLocalThreads, as the proxy's event loops are: Netty
// 4.2 recycles its pooled objects (ChannelOutboundBuffer entries, for one) only on such threads, so on
// JMH's plain threads the codec benchmarks would count ~60 B per write that the proxy never allocates.
package dev.trellis.bench;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

public final class EventLoopThreads extends ThreadPoolExecutor {
    /** The two JVM flags that make JMH use this executor. */
    static final String EXECUTOR = "-Djmh.executor=CUSTOM";
    static final String EXECUTOR_CLASS = "-Djmh.executor.class=dev.trellis.bench.EventLoopThreads";

    /** The constructor JMH's CUSTOM executor type calls. */
    public EventLoopThreads(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
