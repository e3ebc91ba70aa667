package dev.trellis.proxy.http;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** The client's IP address of a downstream connection, as text. */
final class ClientAddress {
    private ClientAddress() {
    }

    /** The remote IP of {@code connection}, or null when it has none (not an IP socket). */
    static String of(Channel connection) {
        return connection.remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress()
                : null;
    }
}
