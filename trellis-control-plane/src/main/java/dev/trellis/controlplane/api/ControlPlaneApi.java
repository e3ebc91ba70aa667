package dev.trellis.controlplane.api;

import dev.trellis.controlplane.config.ConfigStore;
import dev.trellis.controlplane.registry.Registration;
import dev.trellis.controlplane.xds.ProxyStatus;
import dev.trellis.model.ConfigException;
import java.util.List;
import java.util.Optional;

/** What the HTTP API offers, apart from how it is spoken. */
public interface ControlPlaneApi {
    /** A named text of YAML or JSON documents: a file, or a request body. */
    record Source(String name, String text) {}

    /** Applies every document of every source, all or nothing. */
    ConfigStore.Outcome apply(List<Source> sources, boolean dryRun) throws ConfigException;

    /** The applied configuration as it is now. */
    ConfigStore.Snapshot config() throws ConfigException;

    /** Deletes one resource; empty when there is none. */
    Optional<ConfigStore.Outcome> delete(String kind, String namespace, String name, boolean dryRun) throws ConfigException;

    /** Every connected client and how far it is in step. */
    List<ProxyStatus> proxies();

    /** Every registered workload. */
    List<Registration> registrations();
}
