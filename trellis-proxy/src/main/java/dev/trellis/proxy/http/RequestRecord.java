package dev.trellis.proxy.http;

import dev.trellis.proxy.telemetry.ResponseFlag;

/**
 * What happened to one request, for telemetry and access logs: its status, response flags, tries
 * and when it started. Written on the request's event loop only.
 */
public final class RequestRecord {
    private final long startNanos;
    private int status;
    private int flags;
    private int attempts;

    /** @param startNanos when the request arrived, on {@link System#nanoTime()}'s clock */
    RequestRecord(long startNanos) {
        this.startNanos = startNanos;
    }

    public long startNanos() {
        return startNanos;
    }

    public int status() {
        return status;
    }

    void status(int status) {
        this.status = status;
    }

    public void flag(ResponseFlag flag) {
        flags |= flag.bit();
    }

    public boolean has(ResponseFlag flag) {
        return (flags & flag.bit()) != 0;
    }

    public int flags() {
        return flags;
    }

    /** Tries sent upstream, the first one included. */
    public int attempts() {
        return attempts;
    }

    public void attemptStarted() {
        attempts++;
    }
}
