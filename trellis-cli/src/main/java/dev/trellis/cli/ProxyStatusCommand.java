package dev.trellis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.cli.client.ApiClient;
import dev.trellis.cli.client.ApiOption;
import dev.trellis.cli.client.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code trellis proxy-status}: every client of the control plane, and whether it runs the latest configuration. */
@Command(
        name = "proxy-status",
        mixinStandardHelpOptions = true,
        description = {
            "Shows every proxy (and proxyless client) connected to the control plane, and per xDS type whether it is"
                    + " SYNCED (acknowledged the latest), STALE (not yet) or NACKED (rejected it: the reason follows)."
        })
final class ProxyStatusCommand implements Callable<Integer> {
    private static final List<String> TYPES = List.of("CDS", "LDS", "EDS", "RDS");

    @Mixin
    ApiOption api;

    @Override
    public Integer call() {
        JsonNode proxies;
        try {
            proxies = api.client().get("/api/v1/proxy-status", Map.of());
        } catch (ApiClient.ApiException e) {
            return ApiOutput.failure("proxy-status", e);
        }
        if (proxies.path("items").isEmpty()) {
            System.err.println("No proxies are connected.");
            return 0;
        }
        Table table = new Table("NAME", "NODE", "ADDRESS", "STATUS", "CDS", "LDS", "EDS", "RDS", "CONNECTED SINCE");
        List<String> details = new ArrayList<>();
        for (JsonNode proxy : proxies.path("items")) {
            String name = proxy.path("name").isTextual()
                    ? proxy.path("name").asText() + "." + proxy.path("namespace").asText()
                    : "(proxyless)";
            List<String> row = new ArrayList<>(List.of(name, proxy.path("nodeId").asText(), proxy.path("address").asText(),
                    proxy.path("state").asText()));
            for (String type : TYPES) {
                JsonNode status = proxy.path("types").path(type);
                row.add(status.isMissingNode() ? "-" : typeState(status));
                JsonNode nack = status.path("lastNack");
                if (nack.isObject()) {
                    details.add(proxy.path("nodeId").asText() + " rejected " + type + " version " + nack.path("version").asText()
                            + " at " + nack.path("at").asText() + ": " + nack.path("reason").asText());
                }
            }
            row.add(proxy.path("connectedSince").asText());
            table.row(row.toArray(String[]::new));
            proxy.path("problems").forEach(p -> details.add(proxy.path("nodeId").asText() + ": " + p.asText()));
        }
        table.print(System.out);
        if (!details.isEmpty()) {
            System.out.println();
            details.forEach(System.out::println);
        }
        return 0;
    }

    private static String typeState(JsonNode status) {
        if (status.path("lastNack").isObject()) {
            return "NACKED";
        }
        String current = status.path("current").asText();
        return !current.isEmpty() && current.equals(status.path("acked").asText()) ? "SYNCED" : "STALE";
    }
}
