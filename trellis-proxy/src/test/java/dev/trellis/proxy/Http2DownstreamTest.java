package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpWire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What an HTTP/2 client meets through the proxy beyond plain requests: its request body passes the
 * upstream's pace back through HTTP/2 flow control (while the upstream takes nothing, the proxy
 * stops giving the client window, and gives back what it held once the upstream reads again), and
 * interim responses reach it as interim HEADERS.
 */
class Http2DownstreamTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestMesh mesh = new TestMesh();

    @AfterEach
    void stop() {
        mesh.close();
    }

    @Test
    void anUploadToAnAppThatPausesReadingWaitsForItThenArrivesWhole() throws Exception {
        int size = 16 << 20;
        try (ServerSocket listening = new ServerSocket()) {
            listening.setReceiveBufferSize(16 * 1024); // a small window, so the proxy's writes back up
            listening.bind(new InetSocketAddress("127.0.0.1", 0));
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> serveOneUpload(listening));

            StandaloneProxy proxy = mesh.start("client", mesh.write("mesh.yaml", TestMesh.clientOf("app", listening.getLocalPort())));
            int port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
            try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
                byte[] body = new byte[size];
                Arrays.fill(body, (byte) 'x');
                Http2TestClient.Response response = client.send("POST", "/upload", Map.of("content-length", String.valueOf(size)), body);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).isEqualTo(String.valueOf(size));
            }
            assertThat(received.get()).isEqualTo(size);
        }
    }

    /**
     * One stream whose upload the app never reads has its window held back, and with it what it took
     * of the connection's: that must leave the other streams of the connection room to send.
     */
    @Test
    void anUploadHeldBackLeavesTheOtherStreamsOfItsConnectionRoom() throws Exception {
        try (ServerSocket listening = new ServerSocket()) {
            listening.setReceiveBufferSize(16 * 1024);
            listening.bind(new InetSocketAddress("127.0.0.1", 0));
            CompletableFuture<Socket> stuck = new CompletableFuture<>();
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> holdOneThenServeOne(listening, stuck));

            StandaloneProxy proxy = mesh.start("client", mesh.write("mesh.yaml", TestMesh.clientOf("app", listening.getLocalPort())));
            int port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
            try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
                byte[] never = new byte[32 << 20];
                CompletableFuture<Http2TestClient.Response> first =
                        client.sendAsync("POST", "/never-read", Map.of("content-length", String.valueOf(never.length)), never);
                Socket held = mesh.closeLater(stuck.get(WAIT.toSeconds(), TimeUnit.SECONDS));
                awaitBackedUp(held); // the app's buffer is full: the proxy holds the first stream's window now

                byte[] body = new byte[4 << 20];
                Http2TestClient.Response response = client.send("POST", "/read", Map.of("content-length", String.valueOf(body.length)), body);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).isEqualTo(String.valueOf(body.length));
                assertThat(first).isNotDone();
            }
            assertThat(second.get()).isEqualTo(4 << 20);
        }
    }

    /** Waits until what {@code socket} has received but not read stops growing: the sender is blocked. */
    private static void awaitBackedUp(Socket socket) throws Exception {
        InputStream in = socket.getInputStream();
        int before = -1;
        for (int available = in.available(); available == 0 || available != before; available = in.available()) {
            before = available;
            Thread.sleep(200);
        }
    }

    /** Accepts a connection and reads nothing from it; answers the next connection's upload with its size. */
    private static long holdOneThenServeOne(ServerSocket listening, CompletableFuture<Socket> held) {
        try {
            held.complete(listening.accept());
            try (Socket socket = listening.accept()) {
                return answerUpload(socket);
            }
        } catch (IOException e) {
            held.completeExceptionally(e);
            throw new IllegalStateException(e);
        }
    }

    /** An app's 100 Continue reaches an HTTP/2 client as an interim HEADERS frame, and its final answer after it. */
    @Test
    void anInterimResponseReachesAnHttp2ClientBeforeTheFinalOne() throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> head = CompletableFuture.supplyAsync(() -> serveOneWithContinue(listening));
            StandaloneProxy proxy = mesh.start("client", mesh.write("mesh.yaml", TestMesh.clientOf("app", listening.getLocalPort())));
            int port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
            try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
                Http2TestClient.Response response = client.send("POST", "/continue",
                        Map.of("expect", "100-continue", "content-length", "5"), "hello".getBytes(StandardCharsets.US_ASCII));
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("hello");
            }
            assertThat(head.get()).containsIgnoringCase("expect: 100-continue");
        }
    }

    /** Takes one HTTP/1.1 request, answers 100 Continue, reads its 5-byte body and echoes it. */
    private static String serveOneWithContinue(ServerSocket listening) {
        try (Socket socket = listening.accept()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String head = HttpWire.readHead(in);
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] body = in.readNBytes(5);
            out.write("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return head;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Takes one HTTP/1.1 request, reads none of its body for a while, then all of it, and answers how much came. */
    private static long serveOneUpload(ServerSocket listening) {
        try (Socket socket = listening.accept()) {
            Thread.sleep(500); // the proxy's buffers toward this app fill, and its client must wait
            return answerUpload(socket);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads one HTTP/1.1 request with a body, and answers how many bytes of body came. */
    private static long answerUpload(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        String head = HttpWire.readHead(in);
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        if (!length.find()) {
            throw new IOException("no content-length in " + head);
        }
        long expected = Long.parseLong(length.group(1));
        byte[] buffer = new byte[64 * 1024];
        long count = 0;
        int n;
        while (count < expected && (n = in.read(buffer)) > 0) {
            count += n;
        }
        byte[] answer = String.valueOf(count).getBytes(StandardCharsets.US_ASCII);
        OutputStream out = socket.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\ncontent-length: " + answer.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(answer);
        out.flush();
        return count;
    }

}
