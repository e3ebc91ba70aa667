package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link TcpEchoServer} against plain JDK sockets. */
class TcpEchoServerTest {

    private static TcpEchoServer server;

    @BeforeAll
    static void start() {
        server = new TcpEchoServer("tcp-v1").start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void echoesBytesBack() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));

            assertThat(socket.getInputStream().readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("ping");
        }
    }

    @Test
    void halfCloseGetsEverythingBackThenEndOfStream() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("all of it".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();

            assertThat(socket.getInputStream().readAllBytes()).asString(StandardCharsets.US_ASCII)
                    .isEqualTo("all of it");
        }
    }

    @Test
    void echoesManyMegabytesWhileTheClientReadsConcurrently() throws Exception {
        int size = 32 * 1024 * 1024;
        byte[] block = new byte[64 * 1024];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31);
        }
        try (Socket socket = connect()) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int sent = 0; sent < size; sent += block.length) {
                        out.write(block);
                    }
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = socket.getInputStream();
            byte[] got = new byte[block.length];
            long total = 0;
            while (true) {
                int n = in.readNBytes(got, 0, got.length);
                if (n == 0) {
                    break;
                }
                assertThat(Arrays.equals(got, 0, n, block, 0, n)).isTrue();
                total += n;
            }
            writer.get(30, TimeUnit.SECONDS);
            assertThat(total).isEqualTo(size);
        }
    }

    @Test
    void countsConnections() throws Exception {
        try (TcpEchoServer own = new TcpEchoServer("counted").start()) {
            for (int i = 0; i < 3; i++) {
                try (Socket socket = new Socket(SampleServer.HOST, own.port())) {
                    socket.getOutputStream().write(1);
                    assertThat(socket.getInputStream().read()).isEqualTo(1);
                }
            }
            assertThat(own.connectionCount()).isEqualTo(3);
        }
    }

    private static Socket connect() throws Exception {
        Socket socket = new Socket(SampleServer.HOST, server.port());
        socket.setSoTimeout(30_000);
        return socket;
    }
}
