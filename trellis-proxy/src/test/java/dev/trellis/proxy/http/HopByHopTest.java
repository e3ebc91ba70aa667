package dev.trellis.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class HopByHopTest {
    @Test
    void removesConnectionHeadersAndWhatTheyName() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("connection", "keep-alive, x-private")
                .add("x-private", "1")
                .add("keep-alive", "timeout=5")
                .add("proxy-connection", "keep-alive")
                .add("upgrade", "h2c")
                .add("http2-settings", "AAA")
                .add("te", "gzip")
                .add("x-kept", "yes");
        HopByHop.strip(headers, false, false);
        assertThat(headers.names()).containsExactly("x-kept");
    }

    @Test
    void removesEveryNameInAListWithBlanksAndEmptyEntries() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("connection", "x-a,, X-B ,x-c,")
                .add("x-a", "1").add("x-b", "2").add("x-c", "3").add("x-kept", "yes");
        HopByHop.strip(headers, false, false);
        assertThat(headers.names()).containsExactly("x-kept");
    }

    @Test
    void keepsTeTrailersForGrpc() {
        HttpHeaders headers = new DefaultHttpHeaders().add("te", "trailers, deflate");
        HopByHop.strip(headers, false, false);
        assertThat(headers.get("te")).isEqualTo("trailers");
    }

    @Test
    void keepsUpgradeForWebSocketHandshakes() {
        HttpHeaders headers = new DefaultHttpHeaders().add("connection", "Upgrade").add("upgrade", "websocket");
        HopByHop.strip(headers, true, false);
        assertThat(headers.get("connection")).isEqualTo("upgrade");
        assertThat(headers.get("upgrade")).isEqualTo("websocket");
    }

    @Test
    void dropsNettysHttp2ConversionHeaders() {
        HttpHeaders headers = new DefaultHttpHeaders().add("x-http2-stream-id", "3").add("x-http2-scheme", "http").add("x-a", "b");
        HopByHop.strip(headers, false, true);
        assertThat(headers.names()).containsExactly("x-a");
    }
}
