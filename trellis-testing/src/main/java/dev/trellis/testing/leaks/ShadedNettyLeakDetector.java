package dev.trellis.testing.leaks;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.buffer.PooledByteBufAllocator;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import java.util.List;

/**
 * {@link RecordingLeakDetector} for the copy of Netty that gRPC carries inside
 * grpc-netty-shaded (the control plane's xDS server, a connected proxy's ADS client), which reads
 * its own properties: {@code -Dio.grpc.netty.shaded.io.netty.customResourceLeakDetector=} this
 * class, in {@link LeakGate#JVM_FLAGS} and the build's argLine. Its leaks are kept with the others.
 */
public class ShadedNettyLeakDetector<T> extends ResourceLeakDetector<T> {

    public ShadedNettyLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        RecordingLeakDetector.shadedDetectorMade();
    }

    @SuppressWarnings("deprecation")
    public ShadedNettyLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
        RecordingLeakDetector.shadedDetectorMade();
    }

    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        RecordingLeakDetector.record("(gRPC's Netty) " + resourceType + ".release() was not called before it was garbage-collected."
                + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        RecordingLeakDetector.record("(gRPC's Netty) " + resourceType
                + ".release() was not called before it was garbage-collected (no access records).");
        super.reportUntracedLeak(resourceType);
    }

    /** Whether gRPC's Netty runs its leak detection at paranoid. */
    static boolean paranoid() {
        return ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.PARANOID;
    }

    /** Allocates and releases a buffer of each kind of gRPC's Netty, so that its detector reads its queue. */
    static void touchBuffers() {
        for (ByteBufAllocator allocator : List.of(ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT)) {
            ByteBuf direct = allocator.directBuffer(16);
            direct.release();
            ByteBuf heap = allocator.heapBuffer(16);
            heap.release();
        }
    }
}
