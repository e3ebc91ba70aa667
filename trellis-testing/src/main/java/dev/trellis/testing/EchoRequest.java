package dev.trellis.testing;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/**
 * A request {@link HttpEchoServer} has read to its end: what the echo body reports, plus what
 * answering needs.
 *
 * @param target    the request target as received, e.g. {@code /x?y=1}
 * @param protocol  {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}
 * @param headers   lower-case names, repeated values joined with {@code ", "}
 * @param bodyBytes how many body bytes arrived (counted, never kept)
 * @param version   the HTTP/1 version to answer with
 * @param keepAlive whether the connection stays open after the answer
 */
record EchoRequest(
        String method,
        String target,
        String protocol,
        Map<String, String> headers,
        long bodyBytes,
        HttpVersion version,
        boolean keepAlive,
        EchoRoute route) {

    /** What the request's head says, before any of its body has arrived. */
    static EchoRequest fromHead(HttpRequest head, boolean overHttp2) {
        return new EchoRequest(
                head.method().name(),
                head.uri(),
                overHttp2 ? "HTTP/2" : head.protocolVersion().text(),
                HeaderMaps.flatten(head.headers(), overHttp2),
                0,
                head.protocolVersion(),
                overHttp2 || HttpUtil.isKeepAlive(head),
                EchoRoute.parse(head.uri()));
    }

    EchoRequest withRoute(EchoRoute other) {
        return new EchoRequest(method, target, protocol, headers, bodyBytes, version, keepAlive, other);
    }

    EchoRequest withBodyBytes(long count) {
        return new EchoRequest(method, target, protocol, headers, count, version, keepAlive, route);
    }

    /** This request, answered with 400 and then the connection closed: its bytes made no sense. */
    EchoRequest malformed(Throwable cause) {
        EchoRoute invalid = new EchoRoute.Invalid("malformed request: " + cause.getMessage());
        return new EchoRequest(method, target, protocol, headers, bodyBytes, version, false, invalid);
    }

    boolean isHead() {
        return method.equals("HEAD");
    }

    /** The echo body: {@code {"server":…,"method":…,"path":…,"protocol":…,"headers":{…},"bodyBytes":N}}. */
    String toJson(String serverName) {
        StringBuilder json = new StringBuilder(256).append('{');
        Json.string(json.append("\"server\":"), serverName);
        Json.string(json.append(",\"method\":"), method);
        Json.string(json.append(",\"path\":"), target);
        Json.string(json.append(",\"protocol\":"), protocol);
        Json.object(json.append(",\"headers\":"), headers);
        return json.append(",\"bodyBytes\":").append(bodyBytes).append('}').toString();
    }
}
