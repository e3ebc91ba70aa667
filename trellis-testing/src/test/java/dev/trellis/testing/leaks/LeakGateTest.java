package dev.trellis.testing.leaks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The leak gate catches a buffer leaked on purpose: in this JVM, through the JUnit extension that
 * fails the test class, and in a JVM a test starts, through its output.
 */
class LeakGateTest {

    /** Leaks one buffer, marked so that its report is told apart from any other. */
    static String leakABuffer() {
        String mark = "leaked on purpose " + UUID.randomUUID();
        ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.touch(mark);
        leaked.writeLong(42);
        return mark; // the only reference to the buffer goes here, unreleased
    }

    @Test
    void thisJvmRunsTheGate() {
        assertThatCode(LeakGate::assertInstalled).doesNotThrowAnyException();
    }

    @Test
    void aLeakedBufferIsCollectedWithItsRecords() {
        String mark = leakABuffer();
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 50 && seen.stream().noneMatch(l -> l.contains(mark)); i++) {
            seen.addAll(LeakGate.collect());
        }
        assertThat(seen).anySatisfy(leak -> assertThat(leak).contains("ByteBuf.release() was not called").contains(mark));
    }

    @Test
    void aBufferLeakedByGrpcsNettyIsCollectedToo() {
        String mark = "leaked on purpose in gRPC's Netty " + UUID.randomUUID();
        leakAShadedBuffer(mark);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 50 && seen.stream().noneMatch(l -> l.contains(mark)); i++) {
            seen.addAll(LeakGate.collect());
        }
        assertThat(seen).anySatisfy(leak -> assertThat(leak).startsWith("(gRPC's Netty) ").contains(mark));
    }

    private static void leakAShadedBuffer(String mark) {
        io.grpc.netty.shaded.io.netty.buffer.ByteBuf leaked =
                io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.touch(mark);
        leaked.writeLong(42);
    }

    @Test
    void theExtensionFailsATestClassThatLeaks() {
        Events containers = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(LeakingTests.class))
                .execute()
                .containerEvents();

        containers.assertThatEvents().haveExactly(1, event(container(LeakingTests.class),
                finishedWithFailure(instanceOf(AssertionError.class), message(m -> m.contains("Netty leak(s) reported by the end of "
                        + LeakingTests.class.getName()) && m.contains("LEAK: ") && m.contains(LeakingTests.mark)))));
    }

    @Test
    void theExtensionPassesATestClassThatReleasesWhatItTakes() {
        EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(CleanTests.class))
                .execute()
                .allEvents()
                .assertStatistics(stats -> stats.failed(0).succeeded(3)); // the engine, the class and its test
    }

    @Test
    void theOutputOfAStartedJvmFailsOnALeakLine() {
        assertThatCode(() -> LeakGate.assertNoLeaks("proxy", "12:00:00.000 INFO proxy started\ntrellis proxy: stopped\n"))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> LeakGate.assertNoLeaks("proxy", "12:00:00.000 ERROR ResourceLeakDetector - LEAK: "
                + "ByteBuf.release() was not called before it's garbage-collected.\nmore\n"))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("proxy reported a Netty leak:\n12:00:00.000 ERROR ResourceLeakDetector - LEAK: ByteBuf");
    }

    @Test
    void aStartedJvmThatLeaksSaysSoWhenItExits(@TempDir Path dir) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        command.addAll(LeakGate.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LeakingMain.class.getName()));
        Path log = dir.resolve("leaking.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = Files.readString(log);
        assertThat(process.exitValue()).as(output).isZero();

        assertThat(output).contains("LEAK: 1 Netty leak(s) reported in this JVM").contains(LeakingMain.MARK);
        assertThatThrownBy(() -> LeakGate.assertNoLeaks("leaking", output)).isInstanceOf(AssertionError.class);
    }

    /** Run only through {@link EngineTestKit} above (surefire leaves nested classes out). */
    @ExtendWith(NettyLeakExtension.class)
    static class LeakingTests {
        static volatile String mark = "";

        @Test
        void leaks() {
            mark = leakABuffer();
        }
    }

    @ExtendWith(NettyLeakExtension.class)
    static class CleanTests {
        @Test
        void releases() {
            ByteBuf buffer = ByteBufAllocator.DEFAULT.directBuffer(64);
            buffer.writeLong(42);
            buffer.release();
        }
    }

    /** A JVM that leaks one buffer and ends normally. */
    static final class LeakingMain {
        static final String MARK = "leaked by LeakingMain";

        public static void main(String[] args) {
            ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(64);
            leaked.touch(MARK);
            leaked.writeLong(42);
            leaked = null;
        }
    }
}
