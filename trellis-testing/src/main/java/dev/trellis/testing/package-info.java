/**
 * Small, real sample servers and clients for end-to-end tests and {@code trellis demo}: an HTTP
 * echo backend speaking HTTP/1.1 and h2c ({@link dev.trellis.testing.HttpEchoServer}), a WebSocket
 * echo ({@link dev.trellis.testing.WebSocketEchoServer}), a TCP echo
 * ({@link dev.trellis.testing.TcpEchoServer}), and blocking test clients for what the JDK's own
 * HTTP client cannot do ({@link dev.trellis.testing.Http2TestClient},
 * {@link dev.trellis.testing.WebSocketTestClient}). All bind 127.0.0.1 only, over real sockets.
 */
package dev.trellis.testing;
