package dev.trellis.xds;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/** xDS resources as proto3 JSON, the form Envoy's config dump shows, with the typed configs Trellis uses expanded. */
public final class XdsJson {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
            .usingTypeRegistry(JsonFormat.TypeRegistry.newBuilder()
                    .add(HttpConnectionManager.getDescriptor())
                    .add(Router.getDescriptor())
                    .add(TcpProxy.getDescriptor())
                    .add(HttpProtocolOptions.getDescriptor())
                    .add(HTTPFault.getDescriptor())
                    .add(LocalRateLimit.getDescriptor())
                    .add(PreviousHostsPredicate.getDescriptor())
                    .add(PreviousPrioritiesConfig.getDescriptor())
                    .add(TypedStruct.getDescriptor())
                    .add(LeastRequest.getDescriptor())
                    .build())
            .omittingInsignificantWhitespace();

    private XdsJson() {}

    public static String print(MessageOrBuilder message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            // An Any of a type outside the registry: show that much rather than fail the dump.
            return "{\"@error\":\"" + e.getMessage().replace("\"", "'") + "\"}";
        }
    }
}
