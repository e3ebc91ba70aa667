package dev.trellis.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code trellis bootstrap}: files that let other xDS clients use the control plane. */
@Command(
        name = "bootstrap",
        mixinStandardHelpOptions = true,
        description = "Prints bootstrap files for xDS clients that are not Trellis proxies.",
        subcommands = BootstrapCommand.Grpc.class)
final class BootstrapCommand implements Runnable {
    @Override
    public void run() {
        System.err.println("trellis bootstrap: name the kind of client: grpc");
    }

    /** A gRPC xDS bootstrap: point GRPC_XDS_BOOTSTRAP at it and use xds:/// targets. */
    @Command(
            name = "grpc",
            mixinStandardHelpOptions = true,
            description = {
                "Prints an xDS bootstrap for a proxyless gRPC client (grpc-java, grpc-go, grpc-js...). Save it and point"
                        + " GRPC_XDS_BOOTSTRAP at the file; then a channel to xds:///HOST:PORT (for example"
                        + " xds:///catalog.default.svc.cluster.local:50051) is routed and balanced by the control plane."
            })
    static final class Grpc implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        @Option(names = "--node-id", required = true, paramLabel = "ID",
                description = "The client's node id, unique per client; proxy-status shows it.")
        String nodeId;

        @Option(names = "--xds-address", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:15010",
                description = "The control plane's xDS address (default: ${DEFAULT-VALUE}).")
        String xdsAddress;

        @Override
        public Integer call() throws Exception {
            if (nodeId.isBlank()) {
                System.err.println("trellis bootstrap grpc: --node-id: empty (expected: an id unique to the client)");
                return 2;
            }
            Map<String, Object> server = new LinkedHashMap<>();
            server.put("server_uri", xdsAddress);
            server.put("channel_creds", List.of(Map.of("type", "insecure")));
            server.put("server_features", List.of("xds_v3"));
            Map<String, Object> bootstrap = new LinkedHashMap<>();
            bootstrap.put("xds_servers", List.of(server));
            bootstrap.put("node", Map.of("id", nodeId));
            System.out.println(JSON.writeValueAsString(bootstrap));
            return 0;
        }
    }
}
