package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The lifecycle every sample server shares: bind, report the port, shut down fully. */
class SampleServerTest {

    @Test
    void portIsUnknownUntilStarted() {
        TcpEchoServer server = new TcpEchoServer("idle");

        assertThatThrownBy(server::port).isInstanceOf(IllegalStateException.class).hasMessage("idle: not started");
    }

    @Test
    void startsOnlyOnce() {
        try (TcpEchoServer server = new TcpEchoServer("once").start()) {
            assertThat(server.port()).isPositive();
            assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("once: already started");
        }
    }

    @Test
    void bindsTheGivenPortAndFreesItOnClose() throws Exception {
        HttpEchoServer first = new HttpEchoServer("first").start();
        int port = first.port();
        first.close();
        first.close(); // Idempotent.

        // The port a closed server had is the one known-free port to ask for by number: the test
        // is that it can be bound again at once.
        try (HttpEchoServer second = new HttpEchoServer("second", port).start()) {
            assertThat(second.port()).isEqualTo(port);
        }
    }

    @Test
    void busyPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName(SampleServer.HOST))) {
            HttpEchoServer server = new HttpEchoServer("clash", taken.getLocalPort());

            assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("clash: cannot bind 127.0.0.1:" + taken.getLocalPort() + ": ");
        }
    }

    @Test
    void closeEndsOpenConnections() throws Exception {
        TcpEchoServer server = new TcpEchoServer("closing").start();
        try (Socket socket = new Socket(SampleServer.HOST, server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(7);
            assertThat(socket.getInputStream().read()).isEqualTo(7);

            long started = System.nanoTime();
            server.close();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(readOrReset(socket)).isEqualTo(-1);
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new TcpEchoServer("x", 70_000))
                .hasMessage("port: 70000 (expected: 0..65535, 0 for an ephemeral port)");
        assertThatThrownBy(() -> new TcpEchoServer(" "))
                .hasMessage("name: ' ' (expected: a non-blank name)");
    }

    private static int readOrReset(Socket socket) {
        try {
            return socket.getInputStream().read();
        } catch (IOException reset) {
            return -1;
        }
    }
}
