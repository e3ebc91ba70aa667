package dev.trellis.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

class Http2RequestsTest {
    /** As Netty's HTTP/2 decoder makes them: names checked, values not. */
    private static Http2Headers get(String path) {
        return new DefaultHttp2Headers(true, false, 8).method("GET").scheme("http").authority("app:8080").path(path);
    }

    @Test
    void pseudoHeadersBecomeTheRequestLineAndHost() throws Exception {
        Http2Headers in = get("/a?b=c").add("x-test", "yes");
        HttpRequest request = Http2Requests.toHttp1(3, in, true);
        assertThat(request).isInstanceOf(FullHttpRequest.class);
        assertThat(request.method()).isEqualTo(HttpMethod.GET);
        assertThat(request.uri()).isEqualTo("/a?b=c");
        assertThat(request.headers().get("host")).isEqualTo("app:8080");
        assertThat(request.headers().get("x-test")).isEqualTo("yes");
        assertThat(request.headers().names()).noneMatch(name -> name.startsWith(":") || name.startsWith("x-http2-"));
        ((FullHttpRequest) request).release();
    }

    @Test
    void cookieFieldsAreJoinedIntoOne() throws Exception {
        Http2Headers in = get("/").add("cookie", "a=1").add("cookie", "b=2");
        HttpRequest request = Http2Requests.toHttp1(3, in, true);
        assertThat(request.headers().getAll("cookie")).containsExactly("a=1; b=2");
        ((FullHttpRequest) request).release();
    }

    @Test
    void aBodyToComeIsChunkedUnlessItHasALength() throws Exception {
        assertThat(Http2Requests.toHttp1(3, get("/").method("POST"), false).headers().get("transfer-encoding"))
                .isEqualTo("chunked");
        HttpRequest sized = Http2Requests.toHttp1(5, get("/").method("POST").add("content-length", "5"), false);
        assertThat(sized.headers().contains("transfer-encoding")).isFalse();
        assertThat(sized).isNotInstanceOf(FullHttpRequest.class);
    }

    @Test
    void aValueWithALineBreakResetsTheStream() {
        for (String value : new String[] {"a\r\nx-injected: 1", "a\nb", "a\u0000b"}) {
            assertThatThrownBy(() -> Http2Requests.toHttp1(7, get("/").add("x-test", value), true))
                    .isInstanceOfSatisfying(Http2Exception.StreamException.class, e -> {
                        assertThat(e.streamId()).isEqualTo(7);
                        assertThat(e.error()).isEqualTo(Http2Error.PROTOCOL_ERROR);
                        assertThat(e.getMessage()).contains("x-test");
                    });
        }
        assertThatThrownBy(() -> Http2Requests.toHttp1(7, get("/a\r\nb"), true)).hasMessageContaining(":path");
    }

    @Test
    void aRequestWithoutMethodOrPathIsMalformed() {
        assertThatThrownBy(() -> Http2Requests.toHttp1(9, new DefaultHttp2Headers().path("/"), true))
                .isInstanceOf(Http2Exception.StreamException.class).hasMessageContaining("no :method");
        assertThatThrownBy(() -> Http2Requests.toHttp1(9, new DefaultHttp2Headers().method("GET"), true))
                .isInstanceOf(Http2Exception.StreamException.class).hasMessageContaining("no :path");
    }

    @Test
    void connectTakesItsAuthorityAsTheTarget() throws Exception {
        HttpRequest request = Http2Requests.toHttp1(11, new DefaultHttp2Headers().method("CONNECT").authority("db:5432"), false);
        assertThat(request.method()).isEqualTo(HttpMethod.CONNECT);
        assertThat(request.uri()).isEqualTo("db:5432");
    }

    @Test
    void trailersBecomeTheLastPieceAndAreCheckedLikeTheHead() throws Exception {
        LastHttpContent last = Http2Requests.trailers(13, new DefaultHttp2Headers(true, false, 4).add("grpc-status", "0"));
        assertThat(last.trailingHeaders().get("grpc-status")).isEqualTo("0");
        assertThat(last.content().isReadable()).isFalse();
        assertThatThrownBy(() -> Http2Requests.trailers(13, new DefaultHttp2Headers(true, false, 4).add("x-sum", "1\r\nx-injected: 1")))
                .isInstanceOfSatisfying(Http2Exception.StreamException.class, e -> assertThat(e.streamId()).isEqualTo(13))
                .hasMessageContaining("x-sum");
    }
}
