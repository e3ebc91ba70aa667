package dev.trellis.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How every hot-path benchmark runs, which JMH reads from a superclass too: average time in ns, 3 × 1 s
 * of warm-up and 5 × 1 s of measurement, one fork with the proxy's collector, and benchmark threads
 * that are Netty {@code FastThreadLocalThread}s as the proxy's event loops are (see {@link EventLoopThreads}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xms512m", "-Xmx512m", EventLoopThreads.EXECUTOR, EventLoopThreads.EXECUTOR_CLASS})
@State(Scope.Thread)
public abstract class HotPathBenchmark {
}
