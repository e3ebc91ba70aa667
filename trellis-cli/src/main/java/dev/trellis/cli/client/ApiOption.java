package dev.trellis.cli.client;

import picocli.CommandLine.Option;

/** {@code --api HOST:PORT}, shared by the commands that talk to the control plane's HTTP API. */
public final class ApiOption {
    @Option(names = "--api", paramLabel = "HOST:PORT",
            description = "The control plane's HTTP API (default: $" + ApiClient.ENVIRONMENT + ", else " + ApiClient.DEFAULT_ADDRESS + ").")
    String address;

    public ApiClient client() {
        return ApiClient.of(address);
    }
}
