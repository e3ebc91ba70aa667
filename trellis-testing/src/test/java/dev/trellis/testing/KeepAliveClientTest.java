package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The keep-alive client sends each request once and reports every broken exchange. */
class KeepAliveClientTest {
    @Test
    void keepsOneConnectionAliveAcrossRequests() throws Exception {
        try (HttpEchoServer server = new HttpEchoServer("echo").start();
                KeepAliveClient client = new KeepAliveClient("127.0.0.1", server.port(), Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                KeepAliveClient.Response response = client.get("/hello?i=" + i);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("X-Served-By")).isEqualTo("echo");
                assertThat(response.bodyText()).contains("\"path\":\"/hello?i=" + i + "\"");
            }
            assertThat(client.get("/status/503").status()).isEqualTo(503);
            assertThat(client.connectionCount()).isEqualTo(1);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void aConnectionClosedBeforeTheResponseIsAFailureAndTheRequestIsNotSentAgain() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Integer> accepted = CompletableFuture.supplyAsync(() -> {
                int connections = 0;
                try {
                    while (true) {
                        try (Socket socket = server.accept()) {
                            connections++;
                            InputStream in = socket.getInputStream();
                            byte[] head = new byte[4];
                            in.readNBytes(head, 0, 4); // the request has begun: drop the connection
                            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                } catch (Exception closed) {
                    return connections;
                }
            });
            try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> client.get("/")).isInstanceOf(EOFException.class)
                        .hasMessageContaining("connection closed after 5 of 10 body bytes");
            }
            server.close(); // ends the accept loop: every connection the client made has been accepted by now
            assertThat(accepted.get(10, TimeUnit.SECONDS)).as("no second try").isEqualTo(1);
        }
    }

    @Test
    void theLoadCountsEveryFailedRequest() throws Exception {
        HttpEchoServer server = new HttpEchoServer("echo").start();
        try (HttpLoad load = HttpLoad.start("127.0.0.1", server.port(), "/", 2)) {
            waitFor(() -> load.completed() > 20);
            assertThat(load.failures()).isEmpty();
            server.close();
            waitFor(() -> load.failureCount() > 0);
            assertThat(load.failures().get(0)).startsWith("/: java.");
            assertThat(load.servedBy()).containsOnlyKeys("echo");
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited 20 s").isNegative();
            Thread.sleep(20);
        }
    }
}
