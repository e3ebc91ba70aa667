package dev.trellis.proxy.xds;

import java.util.ArrayList;
import java.util.List;

/**
 * The control planes a proxy may use, tried in the order given: on failure the next one, wrapping
 * around after the last. Not thread safe: the ADS client uses it from its one executor.
 */
public final class ControlPlaneAddresses {
    /** One control plane's xDS address: {@code host:port}, or {@code [v6]:port}. */
    public record Address(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final List<Address> addresses;
    private int current;

    private ControlPlaneAddresses(List<Address> addresses) {
        this.addresses = List.copyOf(addresses);
    }

    /**
     * @param specs {@code HOST:PORT} each, at least one
     * @throws IllegalArgumentException naming the one that does not parse and what is expected
     */
    public static ControlPlaneAddresses parse(List<String> specs) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("--control-plane: none given (expected: HOST:PORT, one or more)");
        }
        List<Address> addresses = new ArrayList<>();
        for (String spec : specs) {
            addresses.add(parseOne(spec));
        }
        return new ControlPlaneAddresses(addresses);
    }

    private static Address parseOne(String spec) {
        String host;
        String port;
        if (spec.startsWith("[") && spec.contains("]:")) {
            host = spec.substring(1, spec.indexOf("]:"));
            port = spec.substring(spec.indexOf("]:") + 2);
        } else if (spec.indexOf(':') > 0 && spec.indexOf(':') == spec.lastIndexOf(':')) {
            host = spec.substring(0, spec.indexOf(':'));
            port = spec.substring(spec.indexOf(':') + 1);
        } else {
            throw invalid(spec);
        }
        if (host.isBlank() || !port.matches("[0-9]{1,5}")) {
            throw invalid(spec);
        }
        int number = Integer.parseInt(port);
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException("--control-plane: " + spec + ": port " + number + " (expected: 1..65535)");
        }
        return new Address(host, number);
    }

    private static IllegalArgumentException invalid(String spec) {
        return new IllegalArgumentException("--control-plane: '" + spec + "' (expected: HOST:PORT, e.g. 127.0.0.1:15010)");
    }

    /** The address to use now. */
    public Address current() {
        return addresses.get(current);
    }

    /** Moves to the next address, after the last back to the first, and returns it. */
    public Address next() {
        current = (current + 1) % addresses.size();
        return current();
    }

    public List<Address> all() {
        return addresses;
    }

    @Override
    public String toString() {
        return addresses.toString();
    }
}
