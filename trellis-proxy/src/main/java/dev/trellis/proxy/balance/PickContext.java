package dev.trellis.proxy.balance;

/** What a balancer may ask of the request it picks an endpoint for. */
public interface PickContext {
    /**
     * The key consistent hashing places the request by, computed by its route's hash policy (a
     * header, a cookie, the client's address); null when there is none, and the pick is random.
     * Only a hashing balancer asks, so other requests never pay for it.
     */
    String hashKey();
}
