package dev.trellis.proxy.http.codec;

/**
 * How much of an HTTP/1.1 message the decoder takes at once, in bytes.
 *
 * @param maxInitialLine the longest request line; longer is answered 414
 * @param maxHead the largest block of header fields after it; larger is answered 431
 * @param maxChunk the largest piece of body handed on at once: bodies stream in pieces of at most this
 */
public record Http1Limits(int maxInitialLine, int maxHead, int maxChunk) {}
