package dev.trellis.proxy;

import dev.trellis.model.ConfigException;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;

/** Picks the {@code Proxy} document a proxy runs from the documents it was given. */
final class Bootstraps {
    private Bootstraps() {}

    /** @param proxyName the document's name, or null when the documents hold exactly one */
    static ProxyBootstrap select(MeshConfig mesh, String proxyName) throws ConfigException {
        if (proxyName != null) {
            return mesh.proxies().stream()
                    .filter(p -> p.meta().name().equals(proxyName))
                    .findFirst()
                    .orElseThrow(() -> new ConfigException("no Proxy document named " + proxyName + " (found: "
                            + mesh.proxies().stream().map(p -> p.meta().name()).toList() + ")"));
        }
        if (mesh.proxies().size() != 1) {
            throw new ConfigException(mesh.proxies().isEmpty()
                    ? "no Proxy document (kind: Proxy, apiVersion: trellis.dev/v1alpha1) in the configuration"
                    : "several Proxy documents " + mesh.proxies().stream().map(p -> p.meta().name()).toList()
                            + ": name the one to run with --name");
        }
        return mesh.proxies().get(0);
    }
}
