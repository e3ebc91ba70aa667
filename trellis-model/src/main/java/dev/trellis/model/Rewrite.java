package dev.trellis.model;

import java.util.Optional;

/**
 * Rewrites applied before a request is forwarded.
 *
 * @param uri replaces the matched uri prefix (or the whole path for exact and regex matches)
 * @param authority replaces the Host / :authority header
 */
public record Rewrite(Optional<String> uri, Optional<String> authority) {}
