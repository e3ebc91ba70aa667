package dev.trellis.proxy.upstream;

/** Who receives what an upstream connection or stream reads while it serves one request. */
public interface ResponseSink {
    /** An HTTP object of the response, or raw bytes once the connection became a tunnel. */
    void onUpstreamRead(Object msg);

    /** The upstream finished a batch of reads: time to flush what was written downstream. */
    void onUpstreamReadComplete();

    /** The upstream can take more of the request body. */
    void onUpstreamWritable();

    /** The upstream connection or stream closed. */
    void onUpstreamClosed(Throwable cause);
}
