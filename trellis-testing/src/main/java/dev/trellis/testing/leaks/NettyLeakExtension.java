package dev.trellis.testing.leaks;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leak by its end. Registered for every test class of
 * every module that has trellis-testing on its test class path, through
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension} and the build's
 * {@code junit.jupiter.extensions.autodetection.enabled=true}. Before the class, it checks that
 * the gate is installed (paranoid, with a {@link RecordingLeakDetector}); after it, it forces
 * Netty's report ({@link LeakGate#collect()}) and fails with every leak reported since the
 * previous class ended.
 */
public final class NettyLeakExtension implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        LeakGate.assertInstalled();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = LeakGate.collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(LeakGate.describe(context.getRequiredTestClass().getName(), leaks));
        }
    }
}
