package dev.trellis.config.internal;

import dev.trellis.model.Hosts;
import dev.trellis.model.Locality;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks for the names documents use: resource names, host names, header names. They end up in
 * cluster names, SPIFFE IDs and HTTP headers, so a bad one is rejected here rather than there.
 */
public final class Names {
    private static final String LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    private static final Pattern DNS_LABEL = Pattern.compile(LABEL);
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");
    private static final Pattern HOST = Pattern.compile(LABEL + "(\\." + LABEL + ")*", Pattern.CASE_INSENSITIVE);
    // RFC 9110 token characters.
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public static final String EXPECTED_LABEL =
            "a DNS label: lower-case letters, digits and '-', at most 63 characters";
    public static final String EXPECTED_SUBDOMAIN =
            "a DNS name: lower-case letters, digits, '-' and '.', at most 253 characters";
    public static final String EXPECTED_HOST = "a host name such as catalog or api.example.com";

    private Names() {}

    /** A DNS-1123 label, as Kubernetes requires of namespaces and Istio of port and subset names. */
    public static Optional<String> label(Node n) {
        return n.requiredString(EXPECTED_LABEL).filter(s -> valid(n, DNS_LABEL.matcher(s).matches(), EXPECTED_LABEL));
    }

    /** A DNS-1123 subdomain, as Kubernetes requires of resource and service account names. */
    public static Optional<String> subdomain(Node n) {
        return n.requiredString(EXPECTED_SUBDOMAIN)
                .filter(s -> valid(n, s.length() <= 253 && DNS_SUBDOMAIN.matcher(s).matches(), EXPECTED_SUBDOMAIN));
    }

    /** A host name, fully qualified as seen from {@code namespace} ({@link Hosts#qualify}). */
    public static Optional<String> host(Node n, String namespace) {
        Optional<String> host = n.requiredString(EXPECTED_HOST);
        if (host.isEmpty()) {
            return host;
        }
        if (host.get().contains("*")) {
            n.report(n.given() + " is not implemented yet (expected: a host name without wildcards)");
            return Optional.empty();
        }
        if (!isHostName(host.get())) {
            n.problem(EXPECTED_HOST);
            return Optional.empty();
        }
        return Optional.of(Hosts.qualify(host.get(), namespace));
    }

    /** A locality, {@code region/zone/subzone} with the later parts optional; {@link Locality#NONE} when absent. */
    public static Optional<Locality> locality(Node n) {
        Optional<String> text = n.string(Locality.EXPECTED);
        if (text.isEmpty()) {
            return n.isPresent() ? Optional.empty() : Optional.of(Locality.NONE);
        }
        Optional<Locality> locality = text.get().isEmpty() ? Optional.empty() : Locality.parse(text.get());
        if (locality.isEmpty()) {
            n.problem(Locality.EXPECTED);
        }
        return locality;
    }

    /** True for a DNS name such as {@code catalog} or {@code api.example.com}, in any case. */
    public static boolean isHostName(String s) {
        return s.length() <= 253 && HOST.matcher(s).matches();
    }

    /** A required, non-empty list of host names, each qualified as {@link #host} does. */
    public static List<String> hosts(Node list, String namespace) {
        List<String> hosts = new ArrayList<>();
        for (Node item : list.requiredList("host names")) {
            host(item, namespace).ifPresent(hosts::add);
        }
        return hosts;
    }

    /**
     * An HTTP header name in lower case, the form HTTP/2 requires and the proxy compares with.
     * {@code at} is where problems are reported; {@code name} is often a map key.
     */
    public static Optional<String> headerName(String name, Node at) {
        if (!HEADER_NAME.matcher(name).matches()) {
            at.report("\"" + name + "\" (expected: an HTTP header name)");
            return Optional.empty();
        }
        return Optional.of(name.toLowerCase(Locale.ROOT));
    }

    private static boolean valid(Node n, boolean valid, String expected) {
        if (!valid) {
            n.problem(expected);
        }
        return valid;
    }
}
