package dev.trellis.proxy.http.codec;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpResponseStatus;

/** An HTTP/1.1 message the decoder refused, with the status its sender is answered. */
public final class MalformedHttpException extends DecoderException {
    private final HttpResponseStatus status;

    MalformedHttpException(HttpResponseStatus status, String message) {
        super(message);
        this.status = status;
    }

    static MalformedHttpException badRequest(String message) {
        return new MalformedHttpException(HttpResponseStatus.BAD_REQUEST, message);
    }

    /** 400, or 414/431 for what is too long, 501/505 for a transfer coding or version not supported. */
    public HttpResponseStatus status() {
        return status;
    }

    /** Thrown for every bad message, which the decoder turns into a failed result: no stack trace to fill. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
