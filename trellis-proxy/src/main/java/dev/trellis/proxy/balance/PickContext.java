package dev.trellis.proxy.balance;

import java.time.Duration;

/** What a balancer may read of the request it picks an endpoint for. */
public interface PickContext {
    /** The first value of a request header, or null. */
    String header(String name);

    /** The value of a request cookie, or null. */
    String cookie(String name);

    /** The client's IP address as text, or null when unknown. */
    String sourceIp();

    /** Asks that the response set this cookie, so the client sends it from then on. */
    void setResponseCookie(String name, String value, String path, Duration ttl);
}
