package dev.trellis.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * A response the proxy makes itself. A gRPC caller gets it as gRPC does errors, a trailers-only
 * response (HTTP 200 with {@code grpc-status} and {@code grpc-message}), with the status mapped as
 * Envoy maps it; anyone else gets the status and a one-line text body.
 */
public final class LocalReply {
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");

    private LocalReply() {}

    /** Whether the request is a gRPC call: its content type is {@code application/grpc} or a subtype. */
    public static boolean isGrpc(HttpHeaders requestHeaders) {
        String type = requestHeaders.get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    /**
     * @param grpcStatus the gRPC status for a gRPC caller, or -1 to map it from {@code status}
     */
    public static FullHttpResponse of(HttpResponseStatus status, int grpcStatus, String message, boolean grpc) {
        if (grpc) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC)
                    .setInt(GRPC_STATUS, grpcStatus >= 0 ? grpcStatus : grpcStatus(status.code()))
                    .set(GRPC_MESSAGE, percentEncode(message))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return response;
        }
        ByteBuf body = Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return response;
    }

    /** A cause as a local reply's message gives it: its message, else its kind. */
    public static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message != null ? message : cause.getClass().getSimpleName();
    }

    /**
     * Envoy's mapping of a local reply's HTTP status to gRPC ({@code Grpc::Utility::httpToGrpcStatus}),
     * but for 504, a deadline run out, which a gRPC caller knows as DEADLINE_EXCEEDED.
     */
    static int grpcStatus(int http) {
        return switch (http) {
            case 400 -> 13; // INTERNAL
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7; // PERMISSION_DENIED
            case 404 -> 12; // UNIMPLEMENTED
            case 429, 502, 503 -> 14; // UNAVAILABLE
            case 504 -> 4; // DEADLINE_EXCEEDED
            default -> 2; // UNKNOWN
        };
    }

    /** gRPC's percent-encoding of {@code grpc-message}: printable ASCII but '%' as is, the rest as UTF-8 %XX. */
    private static String percentEncode(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            if (b >= 0x20 && b <= 0x7e && b != '%') {
                out.append((char) b);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
