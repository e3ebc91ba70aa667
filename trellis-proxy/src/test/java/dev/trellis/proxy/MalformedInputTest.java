package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.HttpEchoServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad bytes from one client get a clear status and a closed connection; others carry on. */
class MalformedInputTest {
    static TestMesh mesh;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TestMesh();
        HttpEchoServer app = mesh.closeLater(new HttpEchoServer("app").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: app, port: 80, bindPort: 0}]
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                """.formatted(app.port()));
        port = TestMesh.port(mesh.start("client"), TestMesh.outbound("app", 80));
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    @Test
    void garbageGets400AndClose() throws Exception {
        String response = exchange("THIS IS NOT HTTP\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 400 Bad Request").contains("connection: close").contains("malformed request");
    }

    @Test
    void badHeaderLineGets400() throws Exception {
        assertThat(exchange("GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")).startsWith("HTTP/1.1 400");
    }

    @Test
    void brokenChunkedBodyGets400() throws Exception {
        assertThat(exchange("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n"))
                .startsWith("HTTP/1.1 400").contains("malformed request");
    }

    @Test
    void oversizedHeadersGet431() throws Exception {
        String big = "x-big: " + "a".repeat(70 * 1024) + "\r\n";
        assertThat(exchange("GET / HTTP/1.1\r\nHost: x\r\n" + big + "\r\n"))
                .startsWith("HTTP/1.1 431 Request Header Fields Too Large").contains("request too large");
    }

    @Test
    void oversizedRequestLineGets414() throws Exception {
        assertThat(exchange("GET /" + "a".repeat(20 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 414");
    }

    @Test
    void otherConnectionsAreUnaffected() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?> attackers = pool.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    assertThat(exchange("\u0000\u0001garbage " + i + "\r\n\r\n")).startsWith("HTTP/1.1 400");
                }
                return null;
            });
            for (int i = 0; i < 200; i++) {
                assertThat(mesh.get(port, "/fine/" + i).statusCode()).isEqualTo(200);
            }
            attackers.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Sends raw bytes and reads until the proxy closes the connection. */
    private static String exchange(String raw) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
